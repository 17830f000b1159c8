using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

internal sealed record InternalPoint(int X, int Y);

internal sealed class InternalJob
{
    private readonly int _attempts;

    public InternalJob() { }

    public InternalJob(string name, int attempts)
    {
        Name = name;
        _attempts = attempts;
    }

    public string Name { get; set; } = "";

    public int Attempts => _attempts;
}

internal sealed class JobWithLog
{
    private readonly FileStream _log;

    public JobWithLog(FileStream log) => _log = log;

    public long Written => _log.Position;
}

internal class BaseWithSecret
{
    private readonly int _secret;

    protected BaseWithSecret(int secret) => _secret = secret;

    public int Secret => _secret;
}

internal sealed class DerivedWithSecret(int secret, int own) : BaseWithSecret(secret)
{
    private readonly int _own = own;

    public int Own => _own;
}

internal sealed class OnlyProperties
{
    public int Id { get; set; }

    public List<string> Tags { get; set; } = [];
}

internal sealed class Wrapper
{
    public JobWithLog? Inner { get; set; }
}

public class SerializationFieldTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    private sealed record PrivateNested(string Text, int[] Numbers);

    private static T RoundTrip<T>(T value) => PlexusSerializer.Deserialize<T>(PlexusSerializer.Serialize(value));

    [Fact]
    public void Internal_and_private_nested_types_cross_to_a_child()
    {
        using var results = new ProcessQueue<string>();
        using ChildProcess child = ChildProcess.Create(Describe, new InternalPoint(3, 4), new PrivateNested("seven", [8, 9]), results).Start();
        Assert.Equal("InternalPoint { X = 3, Y = 4 } seven 8,9", results.Get(s_long));
        Assert.True(child.Join(s_long));
        Assert.Equal(0, child.ExitCode);
    }

    private static void Describe(InternalPoint point, PrivateNested nested, ProcessQueue<string> results)
        => results.Put($"{point} {nested.Text} {string.Join(',', nested.Numbers)}");

    [Fact]
    public void Private_fields_cross_to_a_child()
    {
        using var results = new ProcessQueue<string>();
        using ChildProcess child = ChildProcess.Create(DescribeJob, new InternalJob("build", 5), new DerivedWithSecret(6, 7), results).Start();
        Assert.Equal("build 5 6 7", results.Get(s_long));
        Assert.True(child.Join(s_long));
    }

    private static void DescribeJob(InternalJob job, DerivedWithSecret derived, ProcessQueue<string> results)
        => results.Put($"{job.Name} {job.Attempts} {derived.Secret} {derived.Own}");

    [Fact]
    public void Private_fields_round_trip_including_base_classes()
    {
        InternalJob job = RoundTrip(new InternalJob("x", 42));
        Assert.Equal(("x", 42), (job.Name, job.Attempts));
        DerivedWithSecret derived = RoundTrip(new DerivedWithSecret(1, 2));
        Assert.Equal((1, 2), (derived.Secret, derived.Own));
    }

    [Fact]
    public void A_property_only_type_still_round_trips()
    {
        OnlyProperties back = RoundTrip(new OnlyProperties { Id = 5, Tags = ["a", "b"] });
        Assert.Equal(5, back.Id);
        Assert.Equal(["a", "b"], back.Tags);
    }

    [Fact]
    public void A_private_stream_field_is_refused_with_its_name()
    {
        string path = Path.GetTempFileName();
        try
        {
            using FileStream log = File.OpenWrite(path);
            var job = new JobWithLog(log);
            ArgumentException e = Assert.Throws<ArgumentException>(() => ChildProcess.Create(UseJob, job).Start());
            Assert.Contains("JobWithLog._log: FileStream", e.Message, StringComparison.Ordinal);
            NotSerializableException direct = Assert.Throws<NotSerializableException>(() => Unwrap(() => PlexusSerializer.Serialize(new Wrapper { Inner = job })));
            Assert.Contains("Wrapper.Inner: JobWithLog", direct.Message, StringComparison.Ordinal);
            Assert.Contains("JobWithLog._log: FileStream", direct.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void UseJob(JobWithLog job) => GC.KeepAlive(job);

    [Fact]
    public void A_derived_instance_where_its_base_is_declared_is_refused()
    {
        NotSerializableException e = Assert.Throws<NotSerializableException>(() => Unwrap(() => PlexusSerializer.Serialize<BaseWithSecret>(new DerivedWithSecret(1, 2))));
        Assert.Contains(nameof(DerivedWithSecret), e.Message, StringComparison.Ordinal);
    }

    private static void Unwrap(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is not NotSerializableException && e.InnerException is not null)
        {
            Exception inner = e;
            while (inner.InnerException is not null && inner is not NotSerializableException)
            {
                inner = inner.InnerException;
            }
            throw inner;
        }
    }
}
