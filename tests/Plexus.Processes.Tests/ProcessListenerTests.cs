using System.Net.Sockets;
using System.Security.Authentication;

namespace Plexus.Processes.Tests;

public sealed class ProcessListenerTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);
    private static readonly byte[] s_key = "listener secret"u8.ToArray();

    /// <summary>A client in another process: connects, sends a greeting with its pid, echoes one message back doubled.</summary>
    private static void EchoClient(string address, byte[] key)
    {
        using Connection c = ProcessClient.Connect(address, key);
        c.Send($"hello from {Environment.ProcessId}");
        int n = c.Receive<int>();
        c.Send(n * 2);
    }

    /// <summary>A client with a key: reports how the connect ended through its pipe (the message, or "connected").</summary>
    private static void ReportingClient(string address, byte[] key, Connection report)
    {
        try
        {
            using Connection c = ProcessClient.Connect(address, key);
            report.Send("connected");
        }
        catch (AuthenticationException e)
        {
            report.Send("AuthenticationException: " + e.Message);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("tcp://127.0.0.1:0")]
    public void A_client_process_with_the_key_round_trips_messages(string? address)
    {
        using var listener = new ProcessListener(s_key, address);
        if (address is null)
        {
            // The default address is a private Unix socket: 0600 in a 0700 directory.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(listener.Address));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(listener.Address)!));
        }
        else
        {
            Assert.Matches(@"^tcp://127\.0\.0\.1:[1-9][0-9]*$", listener.Address);
        }
        using ChildProcess child = ChildProcess.Create(EchoClient, listener.Address, s_key).Start();
        using Connection c = listener.Accept();
        Assert.Equal($"hello from {child.Pid}", c.Receive<string>());
        c.Send(21);
        Assert.Equal(42, c.Receive<int>());
        Assert.True(child.Join(s_long));
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public void A_wrong_key_is_refused_on_both_sides_and_the_listener_goes_on()
    {
        using var listener = new ProcessListener(s_key, "tcp://127.0.0.1:0");
        (Connection report, Connection theirs) = ProcessPipe.Create();
        using (report)
        using (ChildProcess wrong = ChildProcess.Create(ReportingClient, listener.Address, "not the key"u8.ToArray(), theirs).Start())
        {
            AuthenticationException server = Assert.Throws<AuthenticationException>(() => listener.Accept());
            Assert.Contains("did not prove it knows the authentication key", server.Message);
            string client = report.Receive<string>();
            Assert.StartsWith("AuthenticationException: ", client);
            Assert.Contains("the authentication key is wrong", client);
            Assert.True(wrong.Join(s_long));
            Assert.Equal(0, wrong.ExitCode);
        }
        // The refusal harmed nothing: the next client with the key gets in.
        using ChildProcess right = ChildProcess.Create(EchoClient, listener.Address, s_key).Start();
        using Connection c = listener.Accept();
        Assert.StartsWith("hello from", c.Receive<string>());
        c.Send(1);
        Assert.Equal(2, c.Receive<int>());
        Assert.True(right.Join(s_long));
    }

    [Fact]
    public void A_client_that_says_nothing_is_refused_after_the_authentication_timeout()
    {
        using var listener = new ProcessListener(s_key, "tcp://127.0.0.1:0") { AuthenticationTimeout = TimeSpan.FromMilliseconds(300) };
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, int.Parse(listener.Address.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture)));
        AuthenticationException e = Assert.Throws<AuthenticationException>(() => listener.Accept());
        Assert.Contains("did not complete the challenge within 0.3 s", e.Message);
        // The listener closed its end: the silent client reads the challenge, then EOF.
        silent.ReceiveTimeout = 10_000;
        byte[] buffer = new byte[64];
        int total = 0, n;
        while ((n = silent.Receive(buffer)) > 0)
        {
            total += n;
        }
        Assert.Equal(4 + 32, total);
    }

    [Fact]
    public async Task Accept_waits_with_a_timeout_or_a_token_and_async_accept_takes_a_client()
    {
        using var listener = new ProcessListener(s_key);
        Assert.False(listener.TryAccept(TimeSpan.FromMilliseconds(50), out Connection? none));
        Assert.Null(none);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => listener.Accept(cancel.Token));
        }
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.AcceptAsync(cancel.Token));
        }
        Task<Connection> accepted = listener.AcceptAsync();
        using ChildProcess child = ChildProcess.Create(EchoClient, listener.Address, s_key).Start();
        using Connection c = await accepted.WaitAsync(s_long);
        Assert.Equal($"hello from {child.Pid}", c.Receive<string>());
        c.Send(5);
        Assert.Equal(10, c.Receive<int>());
        Assert.True(child.Join(s_long));
    }

    [Fact]
    public void Dispose_removes_the_socket_file_and_its_directory()
    {
        var listener = new ProcessListener(s_key);
        string path = listener.Address;
        Assert.True(File.Exists(path));
        listener.Dispose();
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        Assert.Throws<IOException>(() => ProcessClient.Connect(path, s_key));
    }
}
