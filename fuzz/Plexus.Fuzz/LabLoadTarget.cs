using System.Text.Json;

namespace Plexus.Fuzz;

/// <summary>
/// <c>lab-load</c>: the result files that <c>plexus load --processes</c> children write and the parent
/// merges (every counter and the latency histogram). A 0xFF byte splits the input into two files. The
/// oracle: a damaged file is reported as a <c>LabException</c> that names it (or as a JSON error), never
/// as a crash deeper in the merge.
/// </summary>
internal static class LabLoadTarget
{
    private static readonly string s_folder = Directory.CreateTempSubdirectory("plexus-fuzz-load-").FullName;

    public static void Run(byte[] input)
    {
        int split = Array.IndexOf(input, (byte)0xFF);
        string first = Path.Combine(s_folder, "part-0.json"), second = Path.Combine(s_folder, "part-1.json");
        File.WriteAllBytes(first, split < 0 ? input : input[..split]);
        File.WriteAllBytes(second, split < 0 ? [] : input[(split + 1)..]);
        try
        {
            Internals.MergeLoadResults(null, split < 0 ? [first] : [first, second]);
        }
        catch (Exception e) when (e is JsonException || e.GetType().Name == "LabException")
        {
        }
    }
}
