using System.Net.Sockets;

namespace Plexus.Processes.Tests;

/// <summary>A manager process at its descriptor limit (RLIMIT_NOFILE lowered on its pid).</summary>
public sealed class ManagerDescriptorLimitTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task At_its_limit_a_manager_turns_new_clients_away_clearly_and_serves_them_once_descriptors_free()
    {
        using ProcessManager manager = new ProcessManager().Start();
        ManagedDictionary counters = manager.CreateDictionary();
        counters["n"] = 0L;
        int pid = manager.ServerPid!.Value;
        var raw = new List<Socket>();
        try
        {
            // Not one descriptor to spare: only what the manager keeps in reserve is left to it.
            OtherProcessLimit.SetDescriptors(pid, OtherProcessLimit.OpenDescriptors(pid));
            for (int i = 0; i < 8; i++)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                raw.Add(socket);
                socket.Connect(new UnixDomainSocketEndPoint(manager.Address));
            }
            Assert.Equal(1L, await Task.Run(() => counters.Increment("n")).WaitAsync(s_bound)); // the established proxy works

            // Unauthenticated peers hold the last descriptors for the handshake's 10 s: a new client must hear why
            // it is not served, not hang and not find its connection closed.
            // (A TimeoutException here: no answer at all.)
            ManagerConnectionException refused = await Assert.ThrowsAsync<ManagerConnectionException>(
                () => Task.Run(() => ProcessManager.Connect(manager.Address, manager.AuthKey)).WaitAsync(s_bound));
            Assert.Contains("out of descriptors", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', refused.Message);

            foreach (Socket socket in raw)
            {
                socket.Dispose();
            }
            raw.Clear();
            int count = await Task.Run(() =>
            {
                using ProcessManager again = ProcessManager.Connect(manager.Address, manager.AuthKey);
                ManagedList list = again.CreateList();
                list.Add(1);
                return list.Count;
            }).WaitAsync(s_bound); // a TimeoutException: the new client hung after the descriptors were freed
            Assert.Equal(1, count);
            Assert.Equal(2L, counters.Increment("n"));
        }
        finally
        {
            foreach (Socket socket in raw)
            {
                socket.Dispose();
            }
        }
    }
}
