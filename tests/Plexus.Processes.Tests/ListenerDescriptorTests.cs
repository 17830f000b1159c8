using System.Security.Authentication;

namespace Plexus.Processes.Tests;

/// <summary>Refused connections leave no descriptor behind on either side (counted, so run alone).</summary>
[Collection(RunAlone.Name)]
public sealed class ListenerDescriptorTests
{
    [Fact]
    public async Task Refused_connections_leak_no_descriptor_on_either_side()
    {
        using var listener = new ProcessListener("right"u8.ToArray(), "tcp://127.0.0.1:0");
        // Warm up what lives for the process (thread pool, socket engine) with one good connection.
        Task<Connection> good = Task.Run(() => ProcessClient.Connect(listener.Address, "right"u8.ToArray()));
        listener.Accept().Dispose();
        (await good).Dispose();
        int before = Directory.GetFiles("/proc/self/fd").Length;

        for (int i = 0; i < 5; i++)
        {
            Task<Connection> client = Task.Run(() => ProcessClient.Connect(listener.Address, "wrong"u8.ToArray()));
            Assert.Throws<AuthenticationException>(() => listener.Accept());
            await Assert.ThrowsAsync<AuthenticationException>(() => client);
        }

        int after = Directory.GetFiles("/proc/self/fd").Length;
        Assert.True(after <= before, $"descriptors before {before}, after {after}");
    }
}
