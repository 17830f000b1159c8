using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Plexus.IO.Tests;

/// <summary>The seed's samples as programs: S13's output, and the S16/S17 servers driven by S18 and by plain sockets.</summary>
[Collection("Samples")]
public sealed class SampleTests
{
    private static readonly TimeSpan s_startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_finish = TimeSpan.FromSeconds(90);

    [Fact]
    public void S13_dispatches_each_event_to_its_handler_in_order()
    {
        var (code, output, error) = SampleProcess.Run(s_finish, "s13");
        Assert.True(code == 0, error);
        string[] dispatches = output.Split('\n').Where(l => l.StartsWith("dispatch", StringComparison.Ordinal)).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(
            new[]
            {
                "dispatch click (x=10, y=20) -> OnClick",
                "dispatch key 'a' -> OnKey",
                "dispatch click (x=300, y=45) -> OnClick",
                "dispatch key 'Enter' -> OnKey",
                "dispatch quit -> stop the loop",
            },
            dispatches);
        Assert.Contains("handled 5 events on one thread", output, StringComparison.Ordinal);
    }

    [Fact]
    public void S17_serves_5000_concurrent_S18_clients()
        => ServeClients("s17", 5000);

    [Fact]
    public void S16_serves_900_concurrent_S18_clients_within_FD_SETSIZE()
        => ServeClients("s16", 900);

    [Theory]
    [InlineData("s16")]
    [InlineData("s17")]
    public async Task Server_echoes_large_payloads_survives_resets_and_stops_on_SIGTERM(string sample)
    {
        int port = Fds.FreePort();
        using SampleProcess server = SampleProcess.Start(sample, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        server.WaitFor("listening", s_startup);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);

        // A peer that resets mid-stream must not take the server down.
        using (Socket rude = Connect(endPoint))
        {
            rude.Send(new byte[100_000]);
            rude.LingerState = new LingerOption(true, 0);
        }

        // 1 MiB each way on three clients at once: the server's sends are partial and must resume.
        byte[][] payloads = Enumerable.Range(0, 3).Select(_ => RandomNumberGenerator.GetBytes(1 << 20)).ToArray();
        Task[] clients = payloads.Select(p => Task.Run(() => Echo(endPoint, p))).ToArray();
        await Task.WhenAll(clients).WaitAsync(s_finish);

        // A peer that closes politely is cleaned up, and a new one is served.
        using (Socket polite = Connect(endPoint))
        {
            polite.Send("bye"u8.ToArray());
            byte[] back = new byte[3];
            ReceiveExactly(polite, back);
            Assert.Equal("bye"u8.ToArray(), back);
            polite.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, polite.Receive(back));
        }
        Echo(endPoint, "still here"u8.ToArray());

        Assert.Equal(0, server.Terminate(TimeSpan.FromSeconds(10)));
    }

    private static void ServeClients(string sample, int connections)
    {
        int port = Fds.FreePort();
        string portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using SampleProcess server = SampleProcess.Start(sample, "--port", portText);
        server.WaitFor("listening", s_startup);
        var (code, output, error) = SampleProcess.Run(s_finish, "s18", "--port", portText,
            "--connections", connections.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(code == 0, output + error + server.Error);
        Assert.Contains($"connections={connections} ok={connections} errors=0 mismatches=0", output, StringComparison.Ordinal);
        Assert.Equal(0, server.Terminate(TimeSpan.FromSeconds(10)));
    }

    private static Socket Connect(IPEndPoint endPoint)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = 60_000,
            SendTimeout = 60_000,
        };
        s.Connect(endPoint);
        return s;
    }

    private static void Echo(IPEndPoint endPoint, byte[] payload)
    {
        using Socket s = Connect(endPoint);
        byte[] back = new byte[payload.Length];
        Task sending = Task.Run(() => s.Send(payload));
        ReceiveExactly(s, back);
        sending.Wait();
        Assert.True(payload.AsSpan().SequenceEqual(back));
    }

    private static void ReceiveExactly(Socket s, byte[] buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = s.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            Assert.True(n > 0, $"server closed after {got} of {buffer.Length} bytes");
            got += n;
        }
    }
}
