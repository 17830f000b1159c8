namespace Plexus.Processes.Tests;

/// <summary>Workers that fail while they start (in the pool's initializer) are not task crashes.</summary>
public class ProcessPoolStartupTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    private static int Square(int x) => x * x;

    private static void BadInit(string path)
    {
        ProcessLog.Append(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        throw new InvalidOperationException("no database here");
    }

    private static void ExitingInit() => Environment.Exit(4);

    /// <summary>Fails in the first worker that runs it only (the first to create <paramref name="path"/>).</summary>
    private static void FailsOnce(string path)
    {
        try
        {
            using var created = new FileStream(path, FileMode.CreateNew);
        }
        catch (IOException)
        {
            return;
        }
        throw new InvalidOperationException("the first start fails");
    }

    /// <summary>
    /// Waits until the test names the worker that is to stay in its initializer (in <paramref name="gate"/>);
    /// that one then waits until "<paramref name="gate"/>.release" exists, the other returns.
    /// </summary>
    private static void NamedWorkerWaits(string gate)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!File.Exists(gate) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        if (File.ReadAllText(gate) != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return;
        }
        while (!File.Exists(gate + ".release") && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
    }

    [Fact]
    public async Task The_first_task_runs_on_whichever_worker_is_ready_first()
    {
        string gate = Path.Combine(Path.GetTempPath(), $"plexus-gate-{Guid.NewGuid():N}");
        try
        {
            using var pool = new ProcessPool(2, initializer: (Action<string>)NamedWorkerWaits, initArgs: [gate]);
            // Both workers are still starting (they wait for the gate). The task is submitted now, then the
            // first worker of the pool is told to stay in its initializer: before, the task was queued on
            // that worker and waited for it; now it waits for a worker to be ready and runs on the other.
            int stuck = pool.WorkerPids[0];
            Task<int> first = pool.SubmitAsync(Square, 3);
            File.WriteAllText(gate + ".tmp", stuck.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.Move(gate + ".tmp", gate);
            Assert.Equal(9, await first.WaitAsync(s_patience));
        }
        finally
        {
            File.WriteAllText(gate + ".release", "");
            File.Delete(gate);
            File.Delete(gate + ".release");
        }
    }

    [Fact]
    public void An_initializer_that_always_throws_reaches_the_caller_and_breaks_the_pool()
    {
        string path = Path.Combine(Path.GetTempPath(), $"plexus-badinit-{Guid.NewGuid():N}");
        try
        {
            var pool = new ProcessPool(2, initializer: (Action<string>)BadInit, initArgs: [path]);
            using (pool)
            {
                var error = Assert.Throws<ProcessPoolInitializerException>(() => pool.Apply(Square, 3));
                Assert.Equal(typeof(InvalidOperationException).FullName, error.RemoteType);
                Assert.Equal("no database here", error.RemoteMessage);
                Assert.Contains(nameof(BadInit), error.RemoteStackTrace);
                Assert.Contains(nameof(BadInit), error.Initializer);
                Assert.Contains("no database here", error.Message);
                Assert.True(error.Failures >= 2, $"the pool gave up after {error.Failures} failure(s)");

                // Broken: later tasks fail at once with the initializer's error, without waiting for a worker.
                Task<int> later = pool.SubmitAsync(Square, 4);
                Assert.True(later.IsFaulted, "a task submitted to a broken pool did not fail at once");
                Assert.IsType<ProcessPoolInitializerException>(later.Exception!.InnerException);
                Exception? reported = null;
                AsyncResult<int> viaCallback = pool.ApplyAsync(Square, 5, errorCallback: e => reported = e);
                Assert.IsType<ProcessPoolInitializerException>(Assert.ThrowsAny<Exception>(() => viaCallback.Get(s_patience)));
                Assert.IsType<ProcessPoolInitializerException>(reported);
                Assert.IsType<ProcessPoolInitializerException>(Assert.ThrowsAny<Exception>(() => pool.Map(Square, [1, 2, 3])));

                // And it stops starting workers: the ones still starting when it broke fail too and are not replaced.
                DateTime deadline = DateTime.UtcNow + s_patience;
                while (pool.WorkerPids.Count > 0)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the broken pool kept workers running");
                    Thread.Sleep(10);
                }
            }
            int attempts = ProcessLog.ReadLines(path).Length;
            Assert.True(attempts <= 3 * 2, $"the initializer ran {attempts} times in a pool of 2");
        }
        finally
        {
            ProcessLog.Delete(path);
        }
    }

    [Fact]
    public void A_worker_that_exits_in_its_initializer_is_not_reported_as_a_task_crash()
    {
        using var pool = new ProcessPool(1, initializer: (Action)ExitingInit);
        var error = Assert.Throws<InvalidOperationException>(() => pool.Apply(Square, 3));
        Assert.Contains("exited with code 4", error.Message);
        Assert.Contains("initializer", error.Message);
        Assert.IsType<InvalidOperationException>(Assert.ThrowsAny<Exception>(() => pool.Apply(Square, 4)));
    }

    [Fact]
    public void A_task_queued_on_a_worker_whose_initializer_failed_runs_on_its_replacement()
    {
        string path = Path.Combine(Path.GetTempPath(), $"plexus-failsonce-{Guid.NewGuid():N}");
        try
        {
            using var pool = new ProcessPool(1, initializer: (Action<string>)FailsOnce, initArgs: [path]);
            Assert.Equal(9, pool.Apply(Square, 3));
            Assert.True(File.Exists(path), "the initializer never ran");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
