using System.Diagnostics;
using Xunit.Abstractions;

namespace Plexus.Redis.Tests;

/// <summary>
/// Two "hosts" on one machine: redis-server in one network namespace, a worker in another, joined by
/// a veth pair with 10.x addresses that exist only inside those namespaces; the test reaches Redis
/// through its Unix socket (the file system is shared).
/// </summary>
public sealed class RedisNamespaceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_worker_in_its_own_network_namespace_runs_a_map_over_a_veth_link_when_namespaces_are_available()
    {
        string id = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..6].ToLowerInvariant();
        string serverNs = "plexus-r-" + id, workerNs = "plexus-w-" + id;
        string subnet = $"10.231.{Random.Shared.Next(0, 64) * 4}";
        if (Ip("netns", "add", serverNs) is { } refused)
        {
            output.WriteLine($"network namespaces are not available here ({refused}); this test needs root with CAP_SYS_ADMIN");
            return;
        }
        try
        {
            Require(Ip("netns", "add", workerNs));
            Require(Ip("link", "add", "pxr" + id, "type", "veth", "peer", "name", "pxw" + id));
            Require(Ip("link", "set", "pxr" + id, "netns", serverNs));
            Require(Ip("link", "set", "pxw" + id, "netns", workerNs));
            Require(Ip("-n", serverNs, "addr", "add", subnet + ".1/30", "dev", "pxr" + id));
            Require(Ip("-n", workerNs, "addr", "add", subnet + ".2/30", "dev", "pxw" + id));
            foreach ((string ns, string link) in new[] { (serverNs, "pxr" + id), (workerNs, "pxw" + id) })
            {
                Require(Ip("-n", ns, "link", "set", link, "up"));
                Require(Ip("-n", ns, "link", "set", "lo", "up"));
            }

            using var redis = new RedisServer(launcher: ["ip", "netns", "exec", serverNs], bind: subnet + ".1");
            using PlexusProcess worker = PlexusProcess.StartWorker(redis.Url, "netns", processes: 2, launcher: ["ip", "netns", "exec", workerNs]);
            await using RedisPool pool = await RedisPool.ConnectAsync(redis.SocketUrl, new RedisPoolOptions { Queue = "netns" });

            int[] items = Enumerable.Range(0, 2_000).ToArray();
            Assert.Equal(items.Select(RedisTargets.Square), pool.Map(RedisTargets.Square, items, chunkSize: 50));
            RedisPoolStatus status = await pool.GetStatusAsync();
            Assert.Equal(1, status.WorkersAlive);
        }
        finally
        {
            Ip("netns", "del", workerNs); // deleting a namespace deletes its end of the veth pair, and so the pair
            Ip("netns", "del", serverNs);
        }
    }

    private static void Require(string? error) => Assert.True(error is null, error);

    /// <summary>Runs <c>ip</c>; <c>null</c> on success, else its error output.</summary>
    private static string? Ip(params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }
            using Process ip = Process.Start(start)!;
            string error = ip.StandardError.ReadToEnd();
            ip.StandardOutput.ReadToEnd();
            ip.WaitForExit();
            return ip.ExitCode == 0 ? null : $"ip {string.Join(' ', args)}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"ip is not installed: {e.Message}";
        }
    }
}
