using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Plexus.Processes.Tests;

/// <summary>The HMAC challenge as a peer that does not follow it sees it.</summary>
public sealed class AuthChallengeTests
{
    [Fact]
    public async Task A_client_refuses_a_listener_that_welcomes_it_but_cannot_answer_its_challenge()
    {
        using var impostor = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        impostor.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        impostor.Listen(1);
        string address = $"tcp://127.0.0.1:{((IPEndPoint)impostor.LocalEndPoint!).Port}";
        Task<byte[]> verdict = Task.Run(() =>
        {
            using Socket s = impostor.Accept();
            ManagerSocket.SendFrame(s, new byte[32]);
            ManagerSocket.ReadFrame(s);                        // the client's answer, not checked
            ManagerSocket.SendFrame(s, "#WELCOME"u8.ToArray()); // welcomed without knowing the key
            ManagerSocket.ReadFrame(s);                        // the client's own challenge
            ManagerSocket.SendFrame(s, new byte[32]);          // an answer made without the key
            return ManagerSocket.ReadFrame(s);
        });
        AuthenticationException e = Assert.Throws<AuthenticationException>(() => ProcessClient.Connect(address, "key"u8.ToArray()));
        Assert.Contains("did not prove it knows the key", e.Message);
        Assert.Equal("#FAILURE"u8.ToArray(), await verdict.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void Before_authentication_the_manager_drops_a_peer_that_announces_a_big_frame_at_once()
    {
        using ProcessManager manager = new ProcessManager().Start();
        using var peer = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        peer.Connect(new UnixDomainSocketEndPoint(manager.Address));
        ManagerSocket.ReadFrame(peer);
        // 1000 bytes is far under the 16 MiB a call may take, but no answer to a challenge is that long:
        // the manager must not sit waiting (10 s) for the bytes, nor allocate for them.
        peer.Send([0xE8, 0x03, 0, 0]);
        peer.ReceiveTimeout = 3_000;
        Assert.Equal(0, peer.Receive(new byte[16]));
    }
}
