using System.Globalization;
using System.Net;

namespace Plexus.Lab.Load;

/// <summary>
/// Loopback source addresses for many connections to one server address and port. Each
/// (source address, port) pair names one connection, so one source address allows at most the
/// ephemeral port range (<c>net.ipv4.ip_local_port_range</c>, about 28,000 ports by default, of
/// which the lab uses two thirds);
/// 127.0.0.0/8 is all loopback, so 127.0.0.2, .3... add a range each with no set-up.
/// </summary>
internal static class SourceAddresses
{
    private const string PortRangeFile = "/proc/sys/net/ipv4/ip_local_port_range";

    /// <summary>127.0.0.1 to 127.0.0.<paramref name="count"/>, after checking they have ports enough for <paramref name="connections"/>.</summary>
    public static IPAddress[] Loopback(int count, int connections)
    {
        // Near the end of a range, connects start failing (refused) while the kernel hunts for a
        // free port: keep each address to two thirds of it.
        int usable = EphemeralPorts() * 2 / 3;
        int addresses = Math.Max(1, count);
        if ((long)connections > (long)addresses * usable)
        {
            int needed = (int)Math.Ceiling(connections / (double)usable);
            throw new LabException($"{connections} connections to one server port need more than {addresses} source address(es) × {usable} ephemeral ports (two thirds of {PortRangeFile}); use --sources {needed} or more");
        }
        return [.. Enumerable.Range(1, count).Select(i => new IPAddress([127, 0, 0, (byte)i]))];
    }

    /// <summary>How many source addresses <paramref name="connections"/> to one server port need (1 at least).</summary>
    public static int Needed(int connections) => Math.Max(1, (int)Math.Ceiling(connections / (double)(EphemeralPorts() * 2 / 3)));

    private static int EphemeralPorts()
    {
        try
        {
            string[] range = File.ReadAllText(PortRangeFile).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[1], CultureInfo.InvariantCulture) - int.Parse(range[0], CultureInfo.InvariantCulture) + 1;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 28_232; // the kernel's default range, 32768-60999
        }
    }
}
