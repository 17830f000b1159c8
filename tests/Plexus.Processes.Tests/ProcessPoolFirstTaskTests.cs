using MessagePack;
using MessagePack.Resolvers;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

/// <summary>A pool's first task of primitive values does not build MessagePack's whole builtin resolver.</summary>
[Collection(RunAlone.Name)]
public class ProcessPoolFirstTaskTests
{
    /// <summary>The methods compiled when this worker first touches BuiltinResolver: hundreds if nothing built it before.</summary>
    private static int CompiledByBuiltinResolver(int unused)
    {
        long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false);
        GC.KeepAlive(TouchBuiltinResolver());
        return (int)(System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false) - before) + unused;
    }

    // A method of its own: compiling a method may run the static constructors of the types it reads, so
    // this is compiled after the count is taken. The resolver's first GetFormatter builds its table of formatters.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static object? TouchBuiltinResolver() => BuiltinResolver.Instance.GetFormatter<int>();

    [Fact]
    public void The_first_task_of_ints_leaves_the_builtin_resolver_unbuilt_in_the_worker()
    {
        // A fresh worker, not a warm host that rehearsed a launch (which builds formatters of its own).
        ChildProcess.Prestart(0);
        Plexus.Processes.Hosting.HostSpawner.StopIdle();
        using var pool = new ProcessPool(1);
        int compiled = pool.Apply(CompiledByBuiltinResolver, 0);
        Assert.True(compiled > 50, $"touching BuiltinResolver after the first task compiled only {compiled} methods: the task's int argument or result built it");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Primitives_encode_as_MessagePack_builtin_formatters_do(int seed)
    {
        AssertSameBytes(seed);
        AssertSameBytes((long)seed * 3);
        AssertSameBytes((double)seed / 7);
        AssertSameBytes((float)seed);
        AssertSameBytes(seed % 2 == 0);
        AssertSameBytes((short)seed);
        AssertSameBytes((ushort)seed);
        AssertSameBytes((uint)seed);
        AssertSameBytes((ulong)seed);
        AssertSameBytes((byte)seed);
        AssertSameBytes((sbyte)seed);
        AssertSameBytes((char)(ushort)seed);
        AssertSameBytes(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AssertSameBytes<string?>(null);
    }

    private static void AssertSameBytes<T>(T value)
    {
        byte[] ours = PlexusSerializer.Serialize(value);
        byte[] builtin = MessagePackSerializer.Serialize(value, MessagePackSerializerOptions.Standard.WithResolver(BuiltinResolver.Instance));
        Assert.Equal(builtin, ours);
        Assert.Equal(value, PlexusSerializer.Deserialize<T>(ours));
    }
}
