using System.Net;

namespace Plexus.Lab.Models;

/// <summary>What <c>plexus serve</c> was asked for.</summary>
internal sealed record ServeOptions(IPAddress Host, int Port, int Workers, int MaxProcesses);

/// <summary>Counts a server's work; models on several threads add concurrently.</summary>
internal sealed class ServerStats
{
    private long _connections, _bytes, _refused;

    public long Connections => Interlocked.Read(ref _connections);
    public long Bytes => Interlocked.Read(ref _bytes);
    public long Refused => Interlocked.Read(ref _refused);

    public void AddConnection() => Interlocked.Increment(ref _connections);
    public void AddConnections(long count) => Interlocked.Add(ref _connections, count);
    public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);
    public void AddRefused() => Interlocked.Increment(ref _refused);
}

/// <summary>
/// One way to serve many echo connections (the seed's I/O models). <see cref="Run"/> calls
/// <c>ready</c> once it accepts connections, and returns after <c>stop</c> is cancelled with every
/// connection, thread and child it made closed.
/// </summary>
internal abstract class ServerModel
{
    /// <summary>Every model, by its <c>--model</c> name.</summary>
    public static readonly IReadOnlyDictionary<string, Func<ServerModel>> All = new Dictionary<string, Func<ServerModel>>
    {
        ["threads"] = () => new ThreadsModel(),
        ["processes"] = () => new ProcessesModel(),
        ["select"] = () => new SelectModel(),
        ["poll"] = () => new PollModel(),
        ["epoll"] = () => new EpollModel(edgeTriggered: false),
        ["epoll-et"] = () => new EpollModel(edgeTriggered: true),
        ["coroutines"] = () => new CoroutinesModel(),
        ["streams"] = () => new StreamsModel(),
        ["dotnet-async"] = () => new DotnetAsyncModel(),
        ["prefork"] = () => new PreforkModel(),
        ["nonblocking"] = () => new NonBlockingModel(),
        ["sigio"] = () => new SigioModel(),
        ["io-uring"] = () => new IoUringModel(),
    };

    public static ServerModel Create(string name) => All.TryGetValue(name, out Func<ServerModel>? create)
        ? create()
        : throw new LabException($"unknown model '{name}'; choose one of: {string.Join(", ", All.Keys)}");

    public abstract void Run(ServeOptions options, ServerStats stats, Action<string> log, Action ready, CancellationToken stop);
}
