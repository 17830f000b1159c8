namespace Plexus.Lab.Models;

/// <summary>The event loop each worker process of a multi-process server runs.</summary>
internal enum WorkerLoop
{
    /// <summary>Level-triggered epoll (<c>prefork</c>).</summary>
    Epoll,

    /// <summary>One io_uring per worker (<c>io-uring --workers N</c>).</summary>
    IoUring,
}
