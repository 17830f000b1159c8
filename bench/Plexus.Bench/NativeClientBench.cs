using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

/// <summary>
/// Is <c>plexus load</c> the bottleneck? Runs an independent client, a small C epoll ping-pong
/// program compiled here with gcc, against the same <c>plexus serve --model epoll</c>, then
/// <c>plexus load</c>, and compares round trips/s and each client's CPU per round trip.
/// Usage: <c>nativeclient [connections=10000] [seconds=5] [model=epoll]</c>.
/// </summary>
internal static unsafe partial class NativeClientBench
{
    private const string ClientSource = """
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <netinet/in.h>
        #include <netinet/tcp.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/epoll.h>
        #include <sys/resource.h>
        #include <sys/socket.h>
        #include <time.h>
        #include <unistd.h>

        /* Closed-loop 32-byte ping-pong over N connections, one epoll set, one thread. */
        static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

        int main(int argc, char **argv) {
            int port = atoi(argv[1]), n = atoi(argv[2]); double seconds = atof(argv[3]);
            struct rlimit rl = { n + 64, n + 64 }; setrlimit(RLIMIT_NOFILE, &rl);
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
            inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
            int ep = epoll_create1(0), *got = calloc(n, sizeof(int)), *fds = calloc(n, sizeof(int));
            struct epoll_event ev, evs[512];
            char msg[32], buf[64]; memset(msg, 'x', sizeof msg);
            int errors = 0;
            for (int from = 0; from < n; from += 512) {        /* connect in batches */
                int to = from + 512 < n ? from + 512 : n, pending = 0;
                for (int i = from; i < to; i++) {
                    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
                    int one = 1; setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    connect(fds[i], (struct sockaddr *)&a, sizeof a);
                    ev.events = EPOLLOUT; ev.data.u32 = i; epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev); pending++;
                }
                while (pending > 0) {
                    int k = epoll_wait(ep, evs, 512, 5000);
                    if (k <= 0) { errors += pending; break; }
                    for (int e = 0; e < k; e++) {
                        int i = evs[e].data.u32; ev.events = EPOLLIN; ev.data.u32 = i;
                        epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev); pending--;
                    }
                }
            }
            long trips = 0; double start = now(), end = start + seconds;
            for (int i = 0; i < n; i++) if (write(fds[i], msg, sizeof msg) != sizeof msg) errors++;
            while (now() < end) {
                int k = epoll_wait(ep, evs, 512, 100);
                for (int e = 0; e < k; e++) {
                    int i = evs[e].data.u32;
                    ssize_t r = read(fds[i], buf, sizeof msg - got[i]);
                    if (r <= 0) { if (r == 0 || errno != EAGAIN) { errors++; close(fds[i]); } continue; }
                    got[i] += r;
                    if (got[i] == sizeof msg) { got[i] = 0; trips++; if (write(fds[i], msg, sizeof msg) != sizeof msg) errors++; }
                }
            }
            double elapsed = now() - start;
            struct rusage ru; getrusage(RUSAGE_SELF, &ru);
            double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
            printf("%ld %.3f %d %.3f\n", trips, elapsed, errors, cpu);
            return 0;
        }
        """;

    public static int Run(string[] args)
    {
        int connections = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        string model = args.Length > 2 ? args[2] : "epoll";
        string plexus = FindPlexus();
        string dir = Directory.CreateTempSubdirectory("plexus-native-").FullName;
        try
        {
            string source = Path.Combine(dir, "client.c"), binary = Path.Combine(dir, "client");
            File.WriteAllText(source, ClientSource);
            (int gcc, string gccOut) = Exec("gcc", ["-O2", "-o", binary, source]);
            if (gcc != 0)
            {
                Console.Error.WriteLine($"gcc failed: {gccOut}");
                return 1;
            }
            int port = FreePort();
            using Process server = StartServer(plexus, model, port);
            try
            {
                int serverPid = server.Id;

                double cpu0 = ServerCpu(serverPid);
                (_, string native) = Exec(binary, [port.ToString(CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture), seconds.ToString(CultureInfo.InvariantCulture)]);
                double cpu1 = ServerCpu(serverPid);
                string[] f = native.Trim().Split(' ');
                long nativeTrips = long.Parse(f[0], CultureInfo.InvariantCulture);
                double nativeRate = nativeTrips / double.Parse(f[1], CultureInfo.InvariantCulture);
                double nativeClientCpu = double.Parse(f[3], CultureInfo.InvariantCulture);
                Thread.Sleep(500);

                string json = Path.Combine(dir, "load.json");
                double cpu2 = ServerCpu(serverPid);
                double children0 = ChildrenCpu();
                var clock = Stopwatch.StartNew();
                using Process load = Process.Start(new ProcessStartInfo("dotnet")
                {
                    ArgumentList = { plexus, "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", connections.ToString(CultureInfo.InvariantCulture), "--duration", $"{seconds}s", "--json", json },
                    RedirectStandardOutput = true,
                })!;
                load.StandardOutput.ReadToEnd();
                load.WaitForExit();
                double cpu3 = ServerCpu(serverPid);
                double loadClientCpu = ChildrenCpu() - children0; // the load, reaped by WaitForExit
                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
                long loadTrips = doc.RootElement.GetProperty("roundTrips").GetInt64();
                double loadRate = doc.RootElement.GetProperty("roundTripsPerSecond").GetDouble();

                Console.WriteLine($"server: plexus serve --model {model}; {connections} connections; {seconds} s; 32-byte ping-pong");
                Console.WriteLine("client        round trips/s   client CPU µs/rt (incl. connects)   server CPU µs/rt (whole run)   errors");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"C epoll       {nativeRate,12:0}   {nativeClientCpu * 1e6 / Math.Max(1, nativeTrips),14:0.0}                      {(cpu1 - cpu0) * 1e6 / Math.Max(1, nativeTrips),14:0.0}            {f[2]}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"plexus load   {loadRate,12:0}   {loadClientCpu * 1e6 / Math.Max(1, loadTrips),14:0.0}                      {(cpu3 - cpu2) * 1e6 / Math.Max(1, loadTrips),14:0.0}            {doc.RootElement.GetProperty("errors").GetInt64()}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio plexus load / C client: {loadRate / nativeRate:0.00}× round trips/s"));
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>CPU seconds of this process's reaped children (getrusage RUSAGE_CHILDREN).</summary>
    private static double ChildrenCpu()
    {
        long* usage = stackalloc long[18];
        if (GetRUsage(-1, usage) != 0)
        {
            throw new InvalidOperationException("getrusage failed");
        }
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRUsage(int who, long* usage);

    internal static Process StartServer(string plexus, string model, int port)
    {
        var server = Process.Start(new ProcessStartInfo("dotnet")
        {
            ArgumentList = { plexus, "serve", "--model", model, "--port", port.ToString(CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
        })!;
        while (server.StandardOutput.ReadLine() is { } line)
        {
            if (line.Contains("listening", StringComparison.Ordinal))
            {
                return server;
            }
        }
        throw new InvalidOperationException("plexus serve exited before listening");
    }

    /// <summary>utime+stime of a process (and its children: prefork) in seconds, from /proc.</summary>
    internal static double ServerCpu(int pid)
    {
        double total = 0;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int p))
            {
                continue;
            }
            try
            {
                string stat = File.ReadAllText($"/proc/{p}/stat");
                string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (p == pid || int.Parse(f[1], CultureInfo.InvariantCulture) == pid)
                {
                    total += (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
                }
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
        }
        return total;
    }

    private static (int ExitCode, string Output) Exec(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process p = Process.Start(start)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    internal static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    internal static string FindPlexus()
    {
        string dll = Path.Combine(Repository.Root, "src", "Plexus.Lab", "bin", "Release", "net10.0", "plexus.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build src/Plexus.Lab in Release first: {dll}");
    }
}
