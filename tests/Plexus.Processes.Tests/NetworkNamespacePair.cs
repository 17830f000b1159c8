using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Plexus.Processes.Tests;

/// <summary>
/// Two network namespaces joined by a veth pair (10.77.0.1 in the first, 10.77.0.2 in the second): two
/// hosts as far as sockets can tell. Needs root and <c>ip</c>; every namespace made is deleted on
/// <see cref="Dispose"/>, or at once when the set-up fails half way.
/// </summary>
internal sealed partial class NetworkNamespacePair : IDisposable
{
    public const string ServerIp = "10.77.0.1";
    public const string ClientIp = "10.77.0.2";
    private const int CloneNewNet = 0x40000000;
    private readonly List<string> _made = [];

    public NetworkNamespacePair()
    {
        string tag = $"{Environment.ProcessId}-{Random.Shared.Next(1 << 20)}";
        Server = $"plexus-srv-{tag}";
        Client = $"plexus-cli-{tag}";
        try
        {
            foreach (string ns in new[] { Server, Client })
            {
                Ip("netns", "add", ns);
                _made.Add(ns);
                Ip("-n", ns, "link", "set", "lo", "up");
            }
            // Made straight inside the namespaces, so no interface name is ever taken in the host's.
            Ip("link", "add", "pxs", "netns", Server, "type", "veth", "peer", "name", "pxc", "netns", Client);
            Ip("-n", Server, "addr", "add", ServerIp + "/24", "dev", "pxs");
            Ip("-n", Client, "addr", "add", ClientIp + "/24", "dev", "pxc");
            Ip("-n", Server, "link", "set", "pxs", "up");
            Ip("-n", Client, "link", "set", "pxc", "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The namespace that holds <see cref="ServerIp"/>.</summary>
    public string Server { get; }

    /// <summary>The namespace that holds <see cref="ClientIp"/>.</summary>
    public string Client { get; }

    /// <summary>Why namespaces cannot be made here, or null when they can (probed once: add one, delete it).</summary>
    public static string? WhyUnavailable { get; } = Probe();

    /// <summary>
    /// Moves the calling thread into namespace <paramref name="name"/>: sockets it creates from now on live
    /// there (the network namespace is per thread, and a socket keeps the one it was made in).
    /// </summary>
    public static void Enter(string name)
    {
        using Microsoft.Win32.SafeHandles.SafeFileHandle ns = File.OpenHandle($"/var/run/netns/{name}");
        if (SetNamespace((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
        {
            throw new InvalidOperationException($"setns({name}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        foreach (string ns in _made)
        {
            // Deleting a namespace destroys the veth end inside it, and with it the pair.
            Run("netns", "del", ns);
        }
        _made.Clear();
    }

    private static string? Probe()
    {
        if (Environment.UserName != "root")
        {
            return "network namespaces need root (ip netns add); this test runs as " + Environment.UserName;
        }
        string probe = $"plexus-probe-{Environment.ProcessId}";
        try
        {
            (int code, string error) = Run("netns", "add", probe);
            if (code != 0)
            {
                return $"'ip netns add' failed here ({error.Trim()}); network namespaces cannot be made";
            }
            Run("netns", "del", probe);
            return null;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"the 'ip' command is not available ({e.Message})";
        }
    }

    private static void Ip(params string[] args)
    {
        (int code, string error) = Run(args);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({code}): {error.Trim()}");
        }
    }

    private static (int Code, string Error) Run(params string[] args)
    {
        using Process ip = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string error = ip.StandardError.ReadToEnd();
        ip.StandardOutput.ReadToEnd();
        ip.WaitForExit();
        return (ip.ExitCode, error);
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);
}
