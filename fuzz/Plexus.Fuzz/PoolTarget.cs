using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Fuzz;

/// <summary>
/// <c>pool</c>: the pool's frames as each side reads them: a worker reads a batch of task requests from
/// its parent (even first byte), the parent reads a task's result or error from a worker (odd). The
/// oracle: only serializer errors escape.
/// </summary>
internal static class PoolTarget
{
    private static readonly object s_requests = Internals.NewRequestFormatter();
    private static readonly object s_responses = Internals.NewResponseFormatter();

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var reader = new MessagePackReader(input.AsMemory(1));
        try
        {
            _ = input[0] % 2 == 0
                ? Internals.ReadRequests(s_requests, ref reader, PlexusSerializer.Options)
                : Internals.ReadResponse(s_responses, ref reader, PlexusSerializer.Options);
        }
        catch (Exception e) when (Expected.IsSerializerError(e))
        {
        }
    }
}
