using System.Diagnostics;
using System.Globalization;

/// <summary>The baseline of the redis scenario: Python RQ (Debian's python3-rq) on the same redis-server, two `rq worker` processes.</summary>
internal static partial class RedisBench
{
    private const string RqScript = """
        import os, subprocess, sys, time
        from redis import Redis
        from rq import Queue
        url, workdir = sys.argv[1], sys.argv[2]
        sys.path.insert(0, workdir)
        import plexus_noop
        q = Queue('rqbench', connection=Redis.from_url(url))
        def wait(job):  # RQ 1.13 has no blocking wait for a result: poll, as its users do
            while job.latest_result() is None:
                time.sleep(0.0002)
        workers = [subprocess.Popen(['/usr/bin/python3', '-m', 'rq.cli', 'worker', '-q', '-u', url, '-P', workdir, 'rqbench'],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            for i in range(20):  # workers up and warm
                wait(q.enqueue(plexus_noop.noop, i))
            lat = []
            for i in range(300):
                t = time.perf_counter()
                wait(q.enqueue(plexus_noop.noop, i))
                lat.append((time.perf_counter() - t) * 1e6)
            lat.sort()
            print('p50_us', lat[len(lat) // 2])
            print('p99_us', lat[len(lat) * 99 // 100])
            n = 1000
            t = time.perf_counter()
            jobs = q.enqueue_many([Queue.prepare_data(plexus_noop.noop, (i,)) for i in range(n)])
            for job in jobs:
                wait(job)
            print('tasks_per_s', n / (time.perf_counter() - t))
        finally:
            for w in workers:
                w.kill()
                w.wait()
        """;

    /// <summary>RQ's numbers, or <c>null</c> when /usr/bin/python3 has no rq module (apt-get install python3-rq).</summary>
    private static Dictionary<string, double>? RunRq(string url, string dir)
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return null;
        }
        File.WriteAllText(Path.Combine(dir, "plexus_noop.py"), "def noop(x):\n    return x\n");
        string script = Path.Combine(dir, "rq_bench.py");
        File.WriteAllText(script, RqScript);
        using Process python = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, url, dir]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = python.StandardOutput.ReadToEnd();
        string error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        if (python.ExitCode != 0)
        {
            Console.WriteLine($"(RQ baseline skipped: {error.Trim().Split('\n').LastOrDefault()})");
            return null;
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }
}
