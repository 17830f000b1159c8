using System.Diagnostics;
using System.Security.Authentication;
using System.Security.Cryptography;

namespace Plexus.Processes.Tests;

/// <summary>Python's remote-manager recipe: a program whose job is to be the manager, clients that connect by address and key.</summary>
public sealed class RemoteManagerTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    /// <summary>The manager program: enters <paramref name="ns"/>, serves on every interface until its control pipe closes.</summary>
    private static void ServeIn(string ns, byte[] key, Connection control)
    {
        NetworkNamespacePair.Enter(ns);
        using var stop = new CancellationTokenSource();
        var watcher = new Thread(() =>
        {
            try
            {
                control.Receive();
            }
            catch (EndOfStreamException)
            {
            }
            stop.Cancel();
        }) { IsBackground = true };
        new ProcessManager(authKey: key).ServeForever("tcp://0.0.0.0:0", address =>
        {
            control.Send(address);
            watcher.Start();
        }, stop.Token);
    }

    /// <summary>A client on "another host": adds its key and 100 increments, waits for the other client, reports what it sees.</summary>
    private static void UseFrom(string ns, string address, byte[] key, int me, Connection report)
    {
        NetworkNamespacePair.Enter(ns);
        using ProcessManager manager = ProcessManager.Connect(address, key);
        ManagedDictionary d = manager.GetOrCreateDictionary("shared");
        d[$"client{me}"] = Environment.ProcessId;
        for (int i = 0; i < 100; i++)
        {
            d.Increment("hits");
        }
        var clock = Stopwatch.StartNew();
        while ((d.Count < 3 || d.Get<long>("hits") < 200) && clock.Elapsed < s_long)
        {
            Thread.Sleep(5);
        }
        report.Send($"{string.Join(',', d.Keys().Select(k => (string)k!).Order(StringComparer.Ordinal))} hits={d.Get<long>("hits")}");
    }

    /// <summary>A client with the wrong key: reports the error it got.</summary>
    private static void ConnectWrongly(string ns, string address, byte[] key, Connection report)
    {
        NetworkNamespacePair.Enter(ns);
        try
        {
            using ProcessManager manager = ProcessManager.Connect(address, key);
            report.Send("connected");
        }
        catch (AuthenticationException e)
        {
            report.Send(e.Message);
        }
    }

    [NetworkNamespaceFact]
    public void A_manager_in_one_network_namespace_serves_a_dict_to_two_clients_in_another()
    {
        using var net = new NetworkNamespacePair();
        byte[] key = RandomNumberGenerator.GetBytes(32);
        (Connection control, Connection controlTheirs) = ProcessPipe.Create();
        var children = new List<ChildProcess>();
        try
        {
            ChildProcess server = ChildProcess.Create(ServeIn, net.Server, key, controlTheirs).Start();
            children.Add(server);
            Assert.True(control.TryReceive(s_long, out string? listening), "the manager did not start listening");
            Assert.Matches(@"^tcp://0\.0\.0\.0:[1-9][0-9]*$", listening);
            // The clients' namespace reaches the manager only through the veth pair, at the server side's address.
            string address = $"tcp://{NetworkNamespacePair.ServerIp}:{listening!.Split(':')[^1]}";

            var reports = new List<Connection>();
            for (int i = 0; i < 2; i++)
            {
                (Connection report, Connection theirs) = ProcessPipe.Create();
                reports.Add(report);
                children.Add(ChildProcess.Create(UseFrom, net.Client, address, key, i, theirs).Start());
            }
            foreach (Connection report in reports)
            {
                Assert.True(report.TryReceive(s_long, out string? seen), "a client did not report");
                Assert.Equal("client0,client1,hits hits=200", seen);
                report.Dispose();
            }

            (Connection refused, Connection refusedTheirs) = ProcessPipe.Create();
            using (refused)
            {
                children.Add(ChildProcess.Create(ConnectWrongly, net.Client, address, "wrong"u8.ToArray(), refusedTheirs).Start());
                Assert.True(refused.TryReceive(s_long, out string? why));
                Assert.Equal($"the manager at {address} refused this connection: the authentication key is wrong or missing. Pass the manager's AuthKey to ProcessManager.Connect.", why);
            }

            foreach (ChildProcess client in children.Skip(1))
            {
                Assert.True(client.Join(s_long));
                Assert.True(client.ExitCode == 0, $"{client} failed: {client.Error?.Message}");
            }
            // Closing the control pipe cancels ServeForever: the manager program ends by itself.
            control.Dispose();
            Assert.True(server.Join(s_long));
            Assert.True(server.ExitCode == 0, $"the manager failed: {server.Error?.Message}");
        }
        finally
        {
            control.Dispose();
            children.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void ServeForever_serves_until_cancelled_then_drops_its_clients()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var stop = new CancellationTokenSource();
        using var listening = new ManualResetEventSlim();
        string? address = null;
        var serving = new Thread(() => new ProcessManager(authKey: key).ServeForever("tcp://127.0.0.1:0", a =>
        {
            address = a;
            listening.Set();
        }, stop.Token));
        serving.Start();
        Assert.True(listening.Wait(s_long));

        using ProcessManager client = ProcessManager.Connect(address!, key);
        ManagedDictionary d = client.GetOrCreateDictionary("d");
        d["k"] = 1;
        Assert.Equal(1, d.Get<int>("k"));

        stop.Cancel();
        Assert.True(serving.Join(s_long), "ServeForever did not return after cancellation");
        Assert.Throws<ManagerConnectionException>(() => d["k"] = 2);
        Assert.Throws<ManagerConnectionException>(() => ProcessManager.Connect(address!, key));
    }
}
