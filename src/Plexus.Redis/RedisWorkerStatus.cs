using System.Globalization;

namespace Plexus.Redis;

/// <summary>One worker as its last heartbeat describes it.</summary>
/// <param name="Name">The worker's consumer name (<c>host-pid-random</c>).</param>
/// <param name="LastSeen">When it last wrote its heartbeat.</param>
/// <param name="Alive">Whether that heartbeat is recent (within 5 s).</param>
/// <param name="Done">Tasks it finished.</param>
/// <param name="Failed">Tasks that threw.</param>
/// <param name="InFlight">Entries it held at its last heartbeat.</param>
/// <param name="Processes">Its local processes.</param>
/// <param name="Pending">Entries Redis lists as delivered to it and not acknowledged.</param>
public sealed record RedisWorkerStatus(string Name, DateTimeOffset LastSeen, bool Alive, long Done, long Failed, int InFlight, int Processes, long Pending)
{
    internal static readonly TimeSpan s_aliveWindow = TimeSpan.FromSeconds(5);

    internal static string FormatHeartbeat(DateTimeOffset now, long done, long failed, int inFlight, int processes)
        => string.Create(CultureInfo.InvariantCulture, $"{now.ToUnixTimeMilliseconds()}|{done}|{failed}|{inFlight}|{processes}");

    internal static RedisWorkerStatus Parse(string name, string heartbeat, long pending, DateTimeOffset now)
    {
        string[] p = heartbeat.Split('|');
        long Number(int i) => p.Length > i && long.TryParse(p[i], CultureInfo.InvariantCulture, out long v) ? v : 0;
        DateTimeOffset seen = DateTimeOffset.FromUnixTimeMilliseconds(Number(0));
        return new RedisWorkerStatus(name, seen, now - seen < s_aliveWindow, Number(1), Number(2), (int)Number(3), (int)Number(4), pending);
    }
}
