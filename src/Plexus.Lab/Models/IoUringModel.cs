using Plexus.Lab.Native;

namespace Plexus.Lab.Models;

/// <summary>
/// The seed's asynchronous I/O model on <c>io_uring</c>: the process asks for a receive and is told
/// when the data is already in its memory (see <see cref="IoUringEchoLoop"/>). With
/// <c>--workers N</c> (N &gt; 1) it runs N worker processes, one ring each, sharing the port with
/// <c>SO_REUSEPORT</c> as <c>prefork</c> does, so it can hold more connections than one process may
/// open descriptors.
/// </summary>
internal sealed class IoUringModel : ServerModel
{
    public override void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop)
    {
        if (options.Workers > 1)
        {
            new PreforkModel(WorkerLoop.IoUring).Run(options, stats, log, ready, stop);
            return;
        }
        int listener = Sys.Listen(options.Host, options.Port, reusePort: false);
        try
        {
            ready();
            IoUringEchoLoop.Serve(listener, stats, stopFd: -1, stop);
        }
        finally
        {
            Sys.Close(listener);
        }
    }
}
