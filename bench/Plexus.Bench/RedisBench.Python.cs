using System.Diagnostics;
using System.Globalization;

/// <summary>
/// The Python baselines of the redis scenario on the same redis-server: RQ (Debian's python3-rq,
/// two `rq worker` processes) and Celery (python3-celery, one worker with two prefork processes,
/// Redis as broker and result backend).
/// </summary>
internal static partial class RedisBench
{
    /// <summary>Python twin of <c>IdleTreeRssKb</c>: VmRSS summed over the roots and their descendants.</summary>
    private const string TreeRssFunction = """
        import os

        def tree_rss_kb(roots):
            children = {}
            for name in os.listdir('/proc'):
                if name.isdigit():
                    try:
                        stat = open(f'/proc/{name}/stat').read()
                    except OSError:
                        continue
                    parent = int(stat[stat.rindex(')') + 2:].split()[1])
                    children.setdefault(parent, []).append(int(name))
            seen, pending, total = set(), list(roots), 0
            while pending:
                pid = pending.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                pending.extend(children.get(pid, []))
                try:
                    total += sum(int(l.split()[1]) for l in open(f'/proc/{pid}/status') if l.startswith('VmRSS:'))
                except OSError:
                    pass
            return total

        """;

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
            time.sleep(1)
            print('idle_rss_kb', tree_rss_kb([w.pid for w in workers]))
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

    private const string CeleryApp = """
        from celery import Celery
        app = Celery('plexus_celery')  # broker and result backend: the worker's -b/--result-backend, the client's app.conf

        @app.task
        def noop(x):
            return x
        """;

    private const string CeleryScript = """
        import os, subprocess, sys, time
        url, workdir = sys.argv[1], sys.argv[2]
        sys.path.insert(0, workdir)
        from plexus_celery import app, noop
        app.conf.broker_url = url
        app.conf.result_backend = url
        worker = subprocess.Popen(['/usr/bin/python3', '-m', 'celery', '-A', 'plexus_celery', '-b', url, '--result-backend', url,
                                   'worker', '-c', '2', '-P', 'prefork', '-l', 'ERROR'],
                                  cwd=workdir, env=dict(os.environ, PYTHONPATH=workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for i in range(20):
                noop.delay(i).get(timeout=120)
            time.sleep(1)
            print('idle_rss_kb', tree_rss_kb([worker.pid]))
            lat = []
            for i in range(300):
                t = time.perf_counter()
                noop.delay(i).get(timeout=60)
                lat.append((time.perf_counter() - t) * 1e6)
            lat.sort()
            print('p50_us', lat[len(lat) // 2])
            print('p99_us', lat[len(lat) * 99 // 100])
            n = 2000
            t = time.perf_counter()
            results = [noop.delay(i) for i in range(n)]
            for r in results:
                r.get(timeout=120)
            print('tasks_per_s', n / (time.perf_counter() - t))
        finally:
            worker.terminate()
            worker.wait()
        """;

    /// <summary>RQ's numbers, or <c>null</c> when /usr/bin/python3 has no rq module (apt-get install python3-rq).</summary>
    private static Dictionary<string, double>? RunRq(string url, string dir)
    {
        File.WriteAllText(Path.Combine(dir, "plexus_noop.py"), "def noop(x):\n    return x\n");
        return RunPython("RQ", "rq_bench.py", RqScript, url, dir);
    }

    /// <summary>Celery's numbers, or <c>null</c> when /usr/bin/python3 has no celery module (apt-get install python3-celery).</summary>
    private static Dictionary<string, double>? RunCelery(string url, string dir)
    {
        File.WriteAllText(Path.Combine(dir, "plexus_celery.py"), CeleryApp);
        return RunPython("Celery", "celery_bench.py", CeleryScript, url, dir);
    }

    private static Dictionary<string, double>? RunPython(string name, string file, string code, string url, string dir)
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return null;
        }
        string script = Path.Combine(dir, file);
        File.WriteAllText(script, TreeRssFunction + code);
        using Process python = Process.Start(new ProcessStartInfo("/usr/bin/python3", [script, url, dir]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = python.StandardOutput.ReadToEnd();
        string error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        if (python.ExitCode != 0)
        {
            Console.WriteLine($"({name} baseline skipped: {error.Trim().Split('\n').LastOrDefault()})");
            return null;
        }
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }
}
