using System.Runtime.CompilerServices;

namespace Plexus.Lab.Tests;

/// <summary>
/// Result files of `plexus load --processes` children that crashed the lab-load fuzz target
/// (docs/fuzzing.md): a missing latency histogram was a NullReferenceException, a latency entry that is
/// not a [value, count] pair an IndexOutOfRangeException. A damaged file is now a LabException that names
/// it. The merge is internal to the `plexus` program and reads files only its own children write, so the
/// test binds it with UnsafeAccessor.
/// </summary>
public class LoadResultFileTests
{
    private const string Valid = """{"Connections":1,"Connected":1,"ConnectSeconds":0.1,"Seconds":1,"RoundTrips":5,"Bytes":320,"Refused":0,"Reset":0,"Timeout":0,"Mismatch":0,"Other":0,"Latency":[[100,5]]}""";

    [Theory]
    [InlineData("""{"Cos":1,"Cods":2,"Rs":10,"Rh":0,"Other":0,"Latenjv":[[100,900],[2000,100]]}""")]
    [InlineData("""{"Cos":1,"Cnds":2,"Rs":10,"Rh":0,"Other":0,"Latency":[[10],[2000,100]]}""")]
    [InlineData("""{"Cos":1,"Cods":2,"Rs":10,"1h":0,"Other":0,"Latency":[[100,900],[20000100]]}""")]
    [InlineData("""{"Latency":[[100000000000,1]]}""")]
    [InlineData("""{"Latency":[[-5,1]]}""")]
    [InlineData("""{"Latency":[null]}""")]
    [InlineData("""{"Latency":""")]
    public void A_damaged_result_file_is_a_lab_error_that_names_it(string json)
    {
        string folder = Directory.CreateTempSubdirectory("plexus-load-test-").FullName;
        try
        {
            string good = Path.Combine(folder, "part-0.json"), bad = Path.Combine(folder, "part-1.json");
            File.WriteAllText(good, Valid);
            File.WriteAllText(bad, json);
            Exception e = Assert.ThrowsAny<Exception>(() => Merge(null, [good, bad]));
            Assert.Equal("LabException", e.GetType().Name);
            Assert.Contains(bad, e.Message, StringComparison.Ordinal);
            Assert.NotNull(Merge(null, [good, good]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.StaticMethod, Name = "Merge")]
    [return: UnsafeAccessorType("Plexus.Lab.Load.LoadResult, plexus")]
    private static extern object Merge([UnsafeAccessorType("Plexus.Lab.Load.LoadResultFile, plexus")] object? file, IEnumerable<string> paths);
}
