using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

public sealed class ManagerFaultTests
{
    [Fact]
    public void A_wrong_or_missing_key_is_refused_and_nothing_is_served()
    {
        using ProcessManager manager = new ProcessManager().Start();
        byte[] wrong = manager.AuthKey;
        wrong[0] ^= 0xFF;
        AuthenticationException e = Assert.Throws<AuthenticationException>(() => ProcessManager.Connect(manager.Address, wrong));
        Assert.Contains("key", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<AuthenticationException>(() => ProcessManager.Connect(manager.Address, []));
        // The manager still serves a client with the right key.
        using ProcessManager right = ProcessManager.Connect(manager.Address, manager.AuthKey);
        Assert.Empty(right.CreateDictionary());
    }

    [Fact]
    public void A_killed_manager_makes_every_proxy_call_fail_at_once()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedLock lk = manager.CreateLock();
        lk.Acquire();
        ManagedQueue q = manager.CreateQueue();
        Task<object?> waiting = Task.Run(q.Get);
        Thread.Sleep(100);
        using (Process server = Process.GetProcessById(manager.ServerPid!.Value))
        {
            server.Kill();
            server.WaitForExit();
        }
        Stopwatch watch = Stopwatch.StartNew();
        ManagerConnectionException gone = Assert.Throws<ManagerConnectionException>(() => d["k"] = 1);
        Assert.Contains("manager", gone.Message, StringComparison.Ordinal);
        Assert.Throws<ManagerConnectionException>(() => d.Count);
        Assert.Throws<ManagerConnectionException>(lk.Release);
        Assert.ThrowsAny<ManagerConnectionException>(() => waiting.GetAwaiter().GetResult());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"failing took {watch.Elapsed}");
    }

    [Fact]
    public void Missing_keys_bad_indexes_missing_methods_and_wrong_types_throw_what_local_collections_throw()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        Assert.Throws<KeyNotFoundException>(() => d["absent"]);
        ManagedList l = manager.CreateList();
        l.Add(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => l[5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => l.RemoveAt(-1));
        d["s"] = "text";
        Assert.Throws<InvalidCastException>(() => d.Get<DateTime>("s"));
        Assert.Throws<InvalidCastException>(() => d.Increment("s"));
        // A method the object does not have: InvalidOperationException, as for a registered type.
        using ProcessManager custom = new ProcessManager().Register<Counter>("Counter").Start();
        ManagedObject c = custom.Create("Counter");
        Assert.Throws<InvalidOperationException>(() => c.Invoke("NoSuchMethod"));
        Assert.Throws<ArgumentException>(() => c.Invoke("Increment", "not a number"));
        Assert.Throws<ArgumentException>(() => custom.Create("Counter", "bad ctor arg"));
    }

    private static void IncrementUnderLock(ManagedDictionary d, ManagedLock lk, int times)
    {
        for (int i = 0; i < times; i++)
        {
            using (lk.Hold())
            {
                d["k"] = (int)d["k"]! + 1;
            }
        }
    }

    [Fact]
    public void Ten_processes_incrementing_under_a_managed_lock_count_exactly()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        ManagedLock lk = manager.CreateLock();
        d["k"] = 0;
        Children.RunAll(10, _ => ChildProcess.Create(IncrementUnderLock, d, lk, 1000).Start());
        Assert.Equal(10_000, d["k"]);
    }

    [Fact]
    public void Malformed_and_oversized_frames_drop_that_client_and_the_server_keeps_serving()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        d["alive"] = true;

        using (Socket garbage = ManagerSocket.Authenticated(manager))
        {
            ManagerSocket.SendFrame(garbage, [0xC1, 0xC1, 0xC1]); // 0xC1 is never valid MessagePack
            Assert.True(ManagerSocket.ClosedByServer(garbage));
        }
        using (Socket wrongShape = ManagerSocket.Authenticated(manager))
        {
            ManagerSocket.SendFrame(wrongShape, PlexusSerializer.Serialize<object?>("not a request"));
            Assert.True(ManagerSocket.ClosedByServer(wrongShape));
        }
        using (Socket huge = ManagerSocket.Authenticated(manager))
        {
            byte[] header = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(header, int.MaxValue);
            huge.Send(header);
            Assert.True(ManagerSocket.ClosedByServer(huge));
        }
        using (Socket unauthenticated = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            unauthenticated.Connect(new UnixDomainSocketEndPoint(manager.Address));
            ManagerSocket.ReadFrame(unauthenticated);
            ManagerSocket.SendFrame(unauthenticated, new byte[32]);
            Assert.Equal("#FAILURE"u8.ToArray(), ManagerSocket.ReadFrame(unauthenticated));
            Assert.True(ManagerSocket.ClosedByServer(unauthenticated));
        }
        Assert.Equal(true, d["alive"]);
        using ProcessManager other = ProcessManager.Connect(manager.Address, manager.AuthKey);
        Assert.Single(other.CreateList(["x"]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_manager_whose_connection_broke_still_stops_by_itself(bool async)
    {
        ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary d = manager.CreateDictionary();
        d.Client.Dispose(); // the owner's connection breaks while the manager lives
        Assert.Throws<ManagerConnectionException>(() => d["k"] = 1);
        int pid = manager.ServerPid!.Value;
        Stopwatch watch = Stopwatch.StartNew();
        if (async)
        {
            await manager.DisposeAsync();
        }
        else
        {
            manager.Dispose();
        }
        // Shutdown kills a manager that has not stopped within 5 s; asked on a fresh connection, it stops at once.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"shutting down took {watch.Elapsed}");
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pid));
    }

    [Fact]
    public void The_socket_directory_is_owner_only()
    {
        using ProcessManager manager = new ProcessManager().Start();
        UnixFileMode mode = File.GetUnixFileMode(Path.GetDirectoryName(manager.Address)!);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, mode);
    }
}
