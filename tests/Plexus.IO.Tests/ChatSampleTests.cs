using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plexus.IO.Tests;

/// <summary>The chat sample (S20) as a program: broadcast to the other clients, idle timeout, SIGTERM.</summary>
[Collection("Samples")]
public sealed class ChatSampleTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Lines_go_to_every_other_client_and_SIGTERM_says_goodbye_and_exits_cleanly()
    {
        int port = Fds.FreePort();
        using SampleProcess server = SampleProcess.Start("s20", "--port", port.ToString(CultureInfo.InvariantCulture), "--idle", "120");
        server.WaitFor("listening", s_patience);
        var clients = new List<LineClient>();
        try
        {
            for (int i = 1; i <= 3; i++)
            {
                var client = new LineClient(port);
                clients.Add(client);
                Assert.Equal($"welcome, client{i}", client.ReadLine());
            }
            clients[0].ReadUntil("* client3 joined");
            clients[1].ReadUntil("* client3 joined");

            clients[0].Send("hello from one");
            clients[1].ReadUntil("client1: hello from one");
            clients[2].ReadUntil("client1: hello from one");
            clients[1].Send("hi from two");
            List<string> seenByOne = clients[0].ReadUntil("client2: hi from two");
            Assert.DoesNotContain("client1: hello from one", seenByOne); // a sender does not get its own line back
            clients[2].ReadUntil("client2: hi from two");

            Assert.Equal(0, server.Terminate(s_patience));
            foreach (LineClient client in clients)
            {
                client.ReadUntil("server shutting down, bye");
                Assert.Null(client.ReadLine()); // then the server closed the connection
            }
            Assert.Contains("SIGTERM: closing 3 connections", server.Output, StringComparison.Ordinal);
            Assert.Contains("chat server stopped: served 3 clients", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_silent_client_is_disconnected_after_the_idle_timeout_and_the_others_are_told()
    {
        int port = Fds.FreePort();
        using SampleProcess server = SampleProcess.Start("s20", "--port", port.ToString(CultureInfo.InvariantCulture), "--idle", "2");
        server.WaitFor("listening", s_patience);
        using var silent = new LineClient(port);
        Assert.Equal("welcome, client1", silent.ReadLine());
        using var chatty = new LineClient(port);
        Assert.Equal("welcome, client2", chatty.ReadLine());
        silent.ReadUntil("* client2 joined");

        // The chatty client keeps its own deadline moving; the silent one's runs out.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Task<List<string>> silentEnd = Task.Run(() => silent.ReadUntil("idle for 2 s, bye"));
        while (!silentEnd.IsCompleted)
        {
            Assert.True(watch.Elapsed < s_patience, "the silent client was never disconnected");
            chatty.Send("still here");
            await Task.WhenAny(silentEnd, Task.Delay(500));
        }
        await silentEnd;
        Assert.Null(silent.ReadLine());
        chatty.ReadUntil("* client1 left");
        chatty.Send("alone now");
        Assert.Equal(0, server.Terminate(s_patience));
        chatty.ReadUntil("server shutting down, bye");
    }

    [Fact]
    public void Running_out_of_descriptors_pauses_accepting_and_clients_waiting_are_served_once_others_leave()
    {
        const int Limit = 128;
        const int ClientCount = 160; // more than the server has descriptors for
        int port = Fds.FreePort();
        using SampleProcess server = SampleProcess.StartWithFileLimit(Limit, "s20", "--port", port.ToString(CultureInfo.InvariantCulture), "--idle", "120");
        server.WaitFor("listening", s_patience);
        var clients = new List<LineClient>();
        try
        {
            // Every connect completes in the kernel's backlog; the server accepts until EMFILE.
            for (int i = 0; i < ClientCount; i++)
            {
                clients.Add(new LineClient(port));
            }
            // The server has taken every descriptor it may: the next accept fails with EMFILE.
            WaitUntil(() => Directory.GetFiles($"/proc/{server.Pid}/fd").Length >= Limit - 1);

            // Freeing descriptors lets the server accept the rest: every client is welcomed in the end
            // (the 40 left fit in the descriptors the server has once the first 120 are gone).
            foreach (LineClient client in clients.Take(120))
            {
                client.ReadUntilPrefix("welcome, ");
                client.Dispose();
            }
            foreach (LineClient client in clients.Skip(120))
            {
                client.ReadUntilPrefix("welcome, ");
            }
            Assert.Equal(0, server.Terminate(s_patience));
            Assert.Contains($"served {ClientCount} clients", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < s_patience, "condition not met in time");
            Thread.Sleep(20);
        }
    }

    /// <summary>A blocking client that reads the server's lines one by one.</summary>
    private sealed class LineClient : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly List<byte> _pending = [];

        public LineClient(int port)
        {
            _socket.ReceiveTimeout = (int)s_patience.TotalMilliseconds;
            _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        }

        public void Send(string line) => _socket.Send(Encoding.UTF8.GetBytes(line + "\n"));

        /// <summary>The next line without its newline, or null at the end of the stream.</summary>
        public string? ReadLine()
        {
            byte[] chunk = new byte[256];
            while (true)
            {
                int newline = _pending.IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    string line = Encoding.UTF8.GetString(_pending.GetRange(0, newline).ToArray());
                    _pending.RemoveRange(0, newline + 1);
                    return line;
                }
                int n = _socket.Receive(chunk); // throws on the receive timeout: a test cannot hang
                if (n == 0)
                {
                    return null;
                }
                _pending.AddRange(chunk.AsSpan(0, n).ToArray());
            }
        }

        /// <summary>Reads lines until <paramref name="wanted"/>; returns every line read, that one included.</summary>
        public List<string> ReadUntil(string wanted)
        {
            var lines = new List<string>();
            while (true)
            {
                string line = ReadLine() ?? throw new InvalidOperationException($"the server closed before sending '{wanted}'; got: {string.Join(" | ", lines)}");
                lines.Add(line);
                if (line == wanted)
                {
                    return lines;
                }
            }
        }

        /// <summary>Reads lines until one starts with <paramref name="prefix"/>.</summary>
        public void ReadUntilPrefix(string prefix)
        {
            while (!(ReadLine() ?? throw new InvalidOperationException($"the server closed before sending '{prefix}…'")).StartsWith(prefix, StringComparison.Ordinal))
            {
            }
        }

        public void Dispose() => _socket.Dispose();
    }
}
