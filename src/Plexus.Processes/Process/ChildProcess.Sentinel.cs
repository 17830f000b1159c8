using Plexus.Native;
using Plexus.Processes.Hosting;

namespace Plexus.Processes;

/// <summary>Waiting for children among other descriptors: the sentinel, and the list of live children.</summary>
public sealed partial class ChildProcess
{
    /// <summary>How long a child seen ended may take to be reaped by the runtime before a join gives up.</summary>
    private static readonly TimeSpan s_reapWait = TimeSpan.FromSeconds(5);

    private SafeFd? _sentinel;

    /// <summary>
    /// A descriptor that becomes readable when the child ends (Python's <c>sentinel</c>): a process
    /// descriptor (<c>pidfd_open</c>), so <see cref="Connection.Wait(IEnumerable{object}, TimeSpan?, CancellationToken)"/>,
    /// poll, epoll or a selector can wait for the exit beside sockets and pipes. Opened on first use;
    /// valid until <see cref="Dispose"/>, which closes it. Reading it tells nothing: call <see cref="Join"/>
    /// for the exit code.
    /// </summary>
    /// <exception cref="InvalidOperationException">The child is not started yet.</exception>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public int Sentinel => SentinelHandle.Fd;

    /// <summary>The sentinel as a handle, so a wait can hold a reference on it while it polls.</summary>
    internal SafeFd SentinelHandle
    {
        get
        {
            lock (_gate)
            {
                HostSpawner.Host host = StartedHost();
                return _sentinel ??= OpenSentinel(host);
            }
        }
    }

    /// <summary>
    /// The children this process started that are still running (Python's <c>active_children()</c>);
    /// children found finished are joined on the way, as Python does, so their <see cref="ExitCode"/> is set.
    /// Pool workers and a manager's process are children too and are listed.
    /// </summary>
    public static IReadOnlyList<ChildProcess> ActiveChildren()
    {
        List<ChildProcess> alive = [];
        foreach (ChildProcess child in s_running.Keys)
        {
            if (child._host is not { } host)
            {
                continue; // still inside Start: not a running child yet
            }
            if (!child.HasEnded(host))
            {
                alive.Add(child);
                continue;
            }
            try
            {
                // Ended: the runtime reaps it within moments of the exit (its SIGCHLD handler), which Join waits for.
                child.Join(s_reapWait);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: it leaves the list by itself.
            }
        }
        return alive;
    }

    /// <summary>
    /// Whether the child has exited: reaped already, or (when a wait opened the sentinel) its exit is
    /// visible there though the runtime has not reaped it yet, so a wait that saw the sentinel ready and
    /// this list agree.
    /// </summary>
    private bool HasEnded(HostSpawner.Host host)
    {
        if (host.Process.HasExited)
        {
            return true;
        }
        SafeFd? sentinel = Volatile.Read(ref _sentinel);
        if (sentinel is null)
        {
            return false;
        }
        bool added = false;
        try
        {
            sentinel.DangerousAddRef(ref added);
            return Descriptors.WaitReadable(sentinel.Fd, 0);
        }
        catch (ObjectDisposedException)
        {
            return true; // disposed: the child was killed and reaped
        }
        finally
        {
            if (added)
            {
                sentinel.DangerousRelease();
            }
        }
    }

    private static SafeFd OpenSentinel(HostSpawner.Host host)
    {
        int fd = host.Process.HasExited ? -1 : ProcessIds.OpenDescriptor(host.Process.Id);
        // Not yet reaped when the descriptor was opened (HasExited reaps, and says so after): it names this
        // child, not a later process that reused its id. Otherwise the child is over: stand in a descriptor
        // that stays readable.
        if (fd >= 0 && host.Process.HasExited)
        {
            Descriptors.Close(fd);
            fd = -1;
        }
        if (fd < 0)
        {
            fd = EventFd.Create(nonBlocking: true);
            EventFd.Signal(fd);
        }
        return new SafeFd(fd);
    }

    private void CloseSentinel()
    {
        lock (_gate)
        {
            _sentinel?.Dispose();
        }
    }
}
