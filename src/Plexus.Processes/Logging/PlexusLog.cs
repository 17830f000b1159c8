using Microsoft.Extensions.Logging;

namespace Plexus.Processes;

/// <summary>
/// The messages Plexus logs (<see cref="PlexusLogging"/>), one method each, so their levels, event ids
/// and wording live in one place.
/// </summary>
internal static partial class PlexusLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "pool worker {Worker} (pid {Pid}) {Cause}; {What}")]
    public static partial void WorkerDied(ILogger logger, string worker, int pid, string cause, string what);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Kind} {Id} was held by a manager client that disconnected; it is released for the next waiter")]
    public static partial void ManagedLockAbandoned(ILogger logger, string kind, int id);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Lock}: took over the lock from pid {Pid}, which died holding it")]
    public static partial void ProcessLockAbandoned(ILogger logger, string @lock, int pid);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "the manager refused a connection from {Peer}: it did not prove it knows the key")]
    public static partial void ManagerConnectionRefused(ILogger logger, string peer);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "the manager dropped a client connection: {Reason}")]
    public static partial void ManagerSessionFailed(ILogger logger, string reason, Exception? exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "a manager client disconnected ({Reason})")]
    public static partial void ManagerSessionEnded(ILogger logger, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "{Kind} {Id} is broken: a waiting client {Why}")]
    public static partial void ManagedBarrierBroken(ILogger logger, string kind, int id, string why);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "the manager refused a client: {Reason}")]
    public static partial void ManagerClientRefused(ILogger logger, string reason);
}
