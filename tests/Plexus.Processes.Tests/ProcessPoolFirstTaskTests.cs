using MessagePack;
using MessagePack.Resolvers;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

/// <summary>A pool's first task of primitive values does not build MessagePack's whole builtin resolver.</summary>
[Collection(RunAlone.Name)]
public class ProcessPoolFirstTaskTests
{
    /// <summary>
    /// The bytes this worker allocates when it first asks BuiltinResolver for a formatter: thousands if
    /// nothing did before (its first lookup builds a table of ~150 formatters), none if it is built.
    /// </summary>
    private static int AllocatedByBuiltinResolver(int unused)
    {
        TouchBuiltinResolver(look: false); // compiled before the count (compiling may run static constructors)
        long before = GC.GetAllocatedBytesForCurrentThread();
        TouchBuiltinResolver(look: true);
        return (int)(GC.GetAllocatedBytesForCurrentThread() - before) + unused;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void TouchBuiltinResolver(bool look)
    {
        if (look)
        {
            GC.KeepAlive(BuiltinResolver.Instance.GetFormatter<int>());
        }
    }

    [Fact]
    public void The_first_task_of_ints_leaves_the_builtin_resolver_unbuilt_in_the_worker()
    {
        // A fresh worker, not a warm host that rehearsed a launch (which builds formatters of its own).
        ChildProcess.Prestart(0);
        Plexus.Processes.Hosting.HostSpawner.StopIdle();
        using var pool = new ProcessPool(1);
        int allocated = pool.Apply(AllocatedByBuiltinResolver, 0);
        Assert.True(allocated > 2000, $"BuiltinResolver's first lookup after the first task allocated only {allocated} bytes: the task's int argument or result had built its table");
    }

    /// <summary>1 when this process has loaded the cryptography assembly (MessagePack's options load it for their hash seed).</summary>
    private static int CryptographyLoaded(int unused) =>
        AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "System.Security.Cryptography") ? 1 + unused : unused;

    [Fact]
    public void Tasks_of_plain_values_never_build_the_serializer_options_in_the_worker()
    {
        // A fresh worker: their first use costs ~5 ms of its first task (see docs/pool.md).
        ChildProcess.Prestart(0);
        Plexus.Processes.Hosting.HostSpawner.StopIdle();
        using var pool = new ProcessPool(1);
        Assert.Equal(0, pool.Apply(CryptographyLoaded, 0));
        Assert.Equal([0, 0, 0], pool.Map(CryptographyLoaded, [0, 0, 0]));
        Assert.Equal(0, pool.Apply(CryptographyLoaded, 0));
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

    private static long RunAt(int _) => System.Diagnostics.Stopwatch.GetTimestamp(); // CLOCK_MONOTONIC: one clock for every process

    [Fact]
    public void A_one_worker_pool_runs_its_first_two_tasks_in_the_order_they_came()
    {
        for (int round = 0; round < 3; round++)
        {
            using var pool = new ProcessPool(1);
            AsyncResult<long> first = pool.ApplyAsync(RunAt, 1);
            AsyncResult<long> second = pool.ApplyAsync(RunAt, 2);

            long a = first.Get(TimeSpan.FromSeconds(60)), b = second.Get(TimeSpan.FromSeconds(60));

            Assert.True(a < b, $"round {round}: the second task ran first ({a} vs {b})");
        }
    }
}
