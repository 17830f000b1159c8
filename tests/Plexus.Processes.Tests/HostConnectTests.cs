using System.Buffers.Binary;
using System.Diagnostics;
using Plexus.Native;

namespace Plexus.Processes.Tests;

/// <summary>A program's first host is spawned before its parent's control socket exists; it waits for it.</summary>
public class HostConnectTests
{
    [Fact]
    public void A_host_started_before_the_control_socket_exists_connects_once_it_does()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"plexus-test-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "control.sock");
        const string Token = "0123456789ABCDEF";
        using Process host = Process.Start(HostStart(path, Token, Environment.ProcessId))!;
        try
        {
            Thread.Sleep(300); // the host's runtime is up and finds no socket
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using SafeFd listener = Descriptors.ListenUnix(path, 1);
            Assert.True(Descriptors.WaitReadable(listener.Fd, 30_000), "the host never connected");
            using var connection = new SafeFd(Sockets.Accept(listener.Fd, nonBlocking: false));
            byte[] hello = ReadFrame(connection.Fd);
            Assert.Contains(Token, System.Text.Encoding.ASCII.GetString(hello));
        }
        finally
        {
            // Our end closed: the host reads EOF before any launch and exits (a dismissed idle host).
            Assert.True(host.WaitForExit(30_000), "the host did not exit after its parent's socket closed");
            Directory.Delete(directory, recursive: true);
        }
        Assert.Equal(0, host.ExitCode);
    }

    [Fact]
    public void A_host_whose_parent_is_not_its_parent_any_more_does_not_wait_for_the_socket()
    {
        // As when the parent died before making its socket: the host must end at once, not wait.
        var clock = Stopwatch.StartNew();
        string path = Path.Combine(Path.GetTempPath(), $"plexus-test-{Guid.NewGuid():N}", "control.sock");
        using Process host = Process.Start(HostStart(path, "0123456789ABCDEF", parent: 1))!; // 1: not this host's parent
        string error = host.StandardError.ReadToEnd();
        Assert.True(host.WaitForExit(30_000));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the host waited {clock.Elapsed.TotalSeconds:F1} s for a parent that is gone");
        Assert.Equal(70, host.ExitCode);
        Assert.Contains("could not reach its parent", error);
    }

    /// <summary>This test program started again as a host, as the spawner does (same command line, the startup hook).</summary>
    private static ProcessStartInfo HostStart(string control, string token, int parent)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string arg in File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0').Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["PLEXUS_CONTROL"] = control;
        info.Environment["PLEXUS_TOKEN"] = token;
        info.Environment["PLEXUS_PARENT"] = parent.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["DOTNET_STARTUP_HOOKS"] = typeof(ChildProcess).Assembly.Location;
        return info;
    }

    private static byte[] ReadFrame(int fd)
    {
        byte[] header = ReadExactly(fd, 4);
        return ReadExactly(fd, BinaryPrimitives.ReadInt32LittleEndian(header));
    }

    private static byte[] ReadExactly(int fd, int count)
    {
        byte[] buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            Assert.True(Descriptors.WaitReadable(fd, 30_000), "the host sent no hello");
            int n = Descriptors.ReadSome(fd, buffer.AsSpan(read));
            Assert.True(n > 0, $"read returned {n}");
            read += n;
        }
        return buffer;
    }
}
