namespace Plexus.Lab.Bench;

/// <summary>
/// The seed's five I/O models, named by how the two phases of a read (waiting for data; copying it
/// into the process) are done, and which lab model belongs to which.
/// </summary>
internal static class ModelGroups
{
    /// <summary>The five, in the seed's order.</summary>
    public static readonly string[] Order = ["blocking", "non-blocking", "multiplexing", "signal-driven", "asynchronous"];

    /// <summary>The group of <paramref name="model"/>.</summary>
    public static string Of(string model) => model switch
    {
        // The thread (or process) blocks in recv through both phases.
        "threads" or "processes" => "blocking",
        // recv returns EAGAIN at once; waiting becomes a loop of calls.
        "nonblocking" => "non-blocking",
        // The kernel signals readiness; the process then copies.
        "sigio" => "signal-driven",
        // The kernel does both phases and reports completion.
        "io-uring" => "asynchronous",
        // Block in select/poll/epoll for readiness of many sockets, then copy (dotnet-async is epoll underneath).
        _ => "multiplexing",
    };

    /// <summary>Where <paramref name="model"/> sorts: by group, then by its place in <paramref name="models"/>.</summary>
    public static int SortKey(string model, IReadOnlyList<string> models)
    {
        int index = 0;
        for (; index < models.Count && models[index] != model; index++)
        {
        }
        return Array.IndexOf(Order, Of(model)) * 1000 + index;
    }
}
