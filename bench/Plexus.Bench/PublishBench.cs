using System.Diagnostics;
using System.Globalization;

/// <summary>
/// Issue 17's start-up numbers, in one run: a cold <c>ChildProcess</c> start-to-running in a NativeAOT
/// app beside Python's <c>os.fork</c> and <c>multiprocessing</c> (fork) and a framework-dependent
/// <c>dotnet app.dll</c>; and the <c>plexus</c> tool's <c>--version</c> beside a bare <c>dotnet</c> start.
/// The apps are published here from this repository's sources, so the first run takes a few minutes.
/// Usage: <c>publish [starts] [path to an installed plexus]</c>.
/// </summary>
internal static class PublishBench
{
    private const double AotTargetMs = 5, ToolTargetMs = 60;

    // Start-to-running as ProcessBench measures it: from Start() until the parent reads the child's first byte.
    private const string App = """
        using System.Diagnostics;
        using Plexus.Processes;

        ChildProcess.RunIfChild();
        int starts = int.Parse(args[0]);
        var times = new List<double>();
        for (int i = 0; i < starts + 1; i++)
        {
            (Connection parent, Connection child) = ProcessPipe.Create();
            using (parent)
            {
                long t0 = Stopwatch.GetTimestamp();
                using ChildProcess p = ChildProcess.Create(Work.SayRunning, child).Start();
                parent.ReceiveBytes();
                double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                p.Join();
                if (i > 0)
                {
                    times.Add(ms); // the first start also sets up the parent's side (control socket, code): not a child's cost
                }
            }
        }
        times.Sort();
        Console.WriteLine(times[times.Count / 2].ToString("F3", System.Globalization.CultureInfo.InvariantCulture));

        internal static class Work
        {
            public static void SayRunning(Connection c) => c.SendBytes([1]);
        }
        """;

    private const string Python = """
        import multiprocessing as mp, os, sys, time

        def say_running(w):
            os.write(w, b"x")

        def fork_once():
            r, w = os.pipe()
            t0 = time.perf_counter()
            pid = os.fork()
            if pid == 0:
                os.write(w, b"x")
                os._exit(0)
            os.read(r, 1)
            ms = (time.perf_counter() - t0) * 1000
            os.waitpid(pid, 0)
            os.close(r); os.close(w)
            return ms

        def mp_once(ctx):
            r, w = os.pipe()
            t0 = time.perf_counter()
            p = ctx.Process(target=say_running, args=(w,))
            p.start()
            os.read(r, 1)
            ms = (time.perf_counter() - t0) * 1000
            p.join()
            os.close(r); os.close(w)
            return ms

        def median(f, n):
            f()
            xs = sorted(f() for _ in range(n))
            return xs[len(xs) // 2]

        if __name__ == "__main__":
            n = int(sys.argv[1])
            ctx = mp.get_context("fork")
            print("%.3f %.3f" % (median(fork_once, n), median(lambda: mp_once(ctx), n)))
        """;

    public static int Run(string[] args)
    {
        int starts = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        string tool = args.Length > 1 ? args[1] : Path.Combine(Repository.Root, "src", "Plexus.Lab", "bin", "Release", "net10.0", "plexus");
        Console.WriteLine($"Plexus publish-mode start-up benchmark ({Environment.ProcessorCount} cores, {starts} starts each, medians)");

        string work = Directory.CreateTempSubdirectory("plexus-publish-bench-").FullName;
        try
        {
            string app = CreateApp(work);
            var clock = Stopwatch.StartNew();
            string aot = Publish(app, Path.Combine(work, "aot"), "-r", "linux-x64", "-p:PublishAot=true");
            string fdd = Publish(app, Path.Combine(work, "fdd"));
            Console.WriteLine($"(published the NativeAOT and framework-dependent apps in {clock.Elapsed.TotalSeconds:F0} s)");

            double aotStart = double.Parse(Output(Path.Combine(aot, "app"), starts.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            double fddStart = double.Parse(Output("dotnet", Path.Combine(fdd, "app.dll"), starts.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            string script = Path.Combine(work, "fork.py");
            File.WriteAllText(script, Python);
            string[] python = Output("python3", script, starts.ToString(CultureInfo.InvariantCulture)).Split(' ');
            double fork = double.Parse(python[0], CultureInfo.InvariantCulture), mpFork = double.Parse(python[1], CultureInfo.InvariantCulture);

            Console.WriteLine($"cold start-to-running:  NativeAOT ChildProcess {aotStart:F2} ms | Python os.fork {fork:F2} ms | " +
                              $"Python multiprocessing (fork) {mpFork:F2} ms | `dotnet app.dll` ChildProcess {fddStart:F2} ms");
            Console.WriteLine($"                        ratios: AOT/os.fork {aotStart / fork:F2}x, AOT/multiprocessing {aotStart / mpFork:F2}x, " +
                              $"AOT/dotnet app.dll {aotStart / fddStart:F2}x; target <= {AotTargetMs} ms: {Met(aotStart <= AotTargetMs)}");

            double bare = Median(starts, () => Output("dotnet", typeof(PublishBench).Assembly.Location, "hello"));
            double version = Median(starts, () => Output(tool, "--version"));
            Console.WriteLine($"cold `plexus --version`: {version:F1} ms ({tool}) | bare `dotnet Plexus.Bench.dll hello` {bare:F1} ms | " +
                              $"ratio {version / bare:F2}x; target <= {ToolTargetMs} ms: {Met(version <= ToolTargetMs)}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Met(bool met) => met ? "met" : "NOT met";

    private static string CreateApp(string work)
    {
        string app = Path.Combine(work, "app");
        Directory.CreateDirectory(app);
        string processes = Path.Combine(Repository.Root, "src", "Plexus.Processes", "Plexus.Processes.csproj");
        // Warnings are not errors here: the trim and AOT analysis of the libraries is reported, not this app's concern.
        File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <InvariantGlobalization>true</InvariantGlobalization>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{processes}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), App);
        return app;
    }

    private static string Publish(string app, string output, params string[] extra)
    {
        // The libraries' own trim and AOT analysis warnings are reported, not errors, in this app.
        Output("dotnet", ["publish", app, "-c", "Release", "-o", output, "-nologo", "-v", "q", "-p:TreatWarningsAsErrors=false", .. extra]);
        return output;
    }

    private static double Median(int count, Action action)
    {
        action();
        var times = new List<double>();
        for (int i = 0; i < count; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    private static string Output(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using Process p = Process.Start(info)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stdout}{stderr.Result}");
        }
        return stdout.Trim();
    }
}
