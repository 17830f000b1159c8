using Plexus.Lab.Native;
using Plexus.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// <c>accept4</c> for every model, with the one failure that needs care: out of descriptors
/// (EMFILE/ENFILE). The pending connection stays queued, so a level-triggered listener is reported
/// ready again at once; without a pause the loop would spin and flood the log.
/// </summary>
internal static class Accepting
{
    private static int s_warned;

    /// <summary>Accepts one connection: its descriptor, or -1 when none is waiting (or none can be taken now).</summary>
    public static int Accept(int listener, bool nonBlocking)
    {
        while (true)
        {
            int fd = Sys.Accept(listener, nonBlocking);
            if (fd >= 0)
            {
                return fd;
            }
            int errno = -fd;
            if (errno == Errnos.EINTR)
            {
                continue;
            }
            if (errno is Errnos.EMFILE or Errnos.ENFILE)
            {
                OutOfDescriptors();
            }
            return -1; // EAGAIN: drained; ECONNABORTED and the like: the next readiness retries
        }
    }

    /// <summary>
    /// Loads what <see cref="OutOfDescriptors"/> needs while descriptors are still available: with
    /// none left, even loading an assembly (a file open) fails.
    /// </summary>
    public static void Prepare()
    {
        Thread.Sleep(0);
        Console.Error.Flush();
    }

    /// <summary>Says once that descriptors ran out, and pauses so the accept loop does not spin.</summary>
    public static void OutOfDescriptors()
    {
        WarnOutOfDescriptors();
        Thread.Sleep(10);
    }

    /// <summary>Says once (per process) that descriptors ran out.</summary>
    public static void WarnOutOfDescriptors()
    {
        if (Interlocked.Exchange(ref s_warned, 1) == 0)
        {
            Console.Error.WriteLine("plexus serve: out of descriptors (EMFILE); new connections wait until others close. Raise the limit (ulimit -n) to hold more");
        }
    }
}
