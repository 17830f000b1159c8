using System.Diagnostics;

namespace Plexus.IO.Tests;

public sealed class EventLoopTests
{
    /// <summary>Stops the loop after a generous time so a broken test fails instead of hanging.</summary>
    private static void Guard(EventLoop loop, int seconds = 20) => loop.CallLater(TimeSpan.FromSeconds(seconds), loop.Stop);

    [Fact]
    public void CallSoon_runs_callbacks_in_order_and_later_ones_next_iteration()
    {
        using var loop = new EventLoop();
        var order = new List<int>();
        for (int i = 0; i < 100; i++)
        {
            int n = i;
            loop.CallSoon(() =>
            {
                order.Add(n);
                if (n == 0)
                {
                    loop.CallSoon(() => order.Add(1000));
                }
                if (n == 99)
                {
                    loop.CallSoon(loop.Stop);
                }
            });
        }
        Guard(loop);
        loop.RunForever();
        Assert.Equal(Enumerable.Range(0, 100).Append(1000), order);
    }

    [Fact]
    public void Timers_fire_in_due_order_and_never_early()
    {
        using var loop = new EventLoop();
        var fired = new List<(int Ms, double Elapsed)>();
        var watch = Stopwatch.StartNew();
        foreach (int ms in new[] { 120, 30, 60, 0 })
        {
            loop.CallLater(TimeSpan.FromMilliseconds(ms), () =>
            {
                fired.Add((ms, watch.Elapsed.TotalMilliseconds));
                if (fired.Count == 4)
                {
                    loop.Stop();
                }
            });
        }
        Guard(loop);
        loop.RunForever();
        Assert.Equal(new[] { 0, 30, 60, 120 }, fired.Select(f => f.Ms));
        foreach (var (ms, elapsed) in fired)
        {
            Assert.True(elapsed >= ms - 0.5, $"timer {ms} ms fired after {elapsed} ms");
            Assert.True(elapsed < ms + 3000, $"timer {ms} ms fired after {elapsed} ms");
        }
    }

    [Fact]
    public void CallAt_uses_the_loops_monotonic_clock()
    {
        using var loop = new EventLoop();
        double start = loop.Time;
        double firedAt = 0;
        LoopHandle handle = loop.CallAt(start + 0.05, () =>
        {
            firedAt = loop.Time;
            loop.Stop();
        });
        Assert.Equal(start + 0.05, handle.When, 3);
        Guard(loop);
        loop.RunForever();
        Assert.True(firedAt >= start + 0.0495, $"{firedAt - start}");
    }

    [Fact]
    public void A_cancelled_timer_or_callback_never_runs()
    {
        using var loop = new EventLoop();
        bool ran = false;
        LoopHandle timer = loop.CallLater(TimeSpan.FromMilliseconds(20), () => ran = true);
        LoopHandle soon = loop.CallSoon(() => ran = true);
        timer.Cancel();
        soon.Cancel();
        Assert.True(timer.IsCancelled);
        loop.CallLater(TimeSpan.FromMilliseconds(80), loop.Stop);
        loop.RunForever();
        Assert.False(ran);
    }

    [Fact]
    public void CallSoonThreadSafe_wakes_a_loop_blocked_in_select()
    {
        using var loop = new EventLoop();
        int loopThread = Environment.CurrentManagedThreadId;
        int ranOn = 0;
        var watch = Stopwatch.StartNew();
        var other = new Thread(() =>
        {
            Thread.Sleep(100);
            loop.CallSoonThreadSafe(() =>
            {
                ranOn = Environment.CurrentManagedThreadId;
                loop.Stop();
            });
        });
        other.Start();
        Guard(loop);
        loop.RunForever();
        other.Join();
        Assert.Equal(loopThread, ranOn);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "woken by the guard, not by the thread-safe call");
    }

    [Fact]
    public void Many_threads_posting_lose_nothing()
    {
        using var loop = new EventLoop();
        int count = 0;
        const int Threads = 4, Each = 5_000;
        var threads = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < Each; i++)
            {
                loop.CallSoonThreadSafe(() =>
                {
                    if (++count == Threads * Each)
                    {
                        loop.Stop();
                    }
                });
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Guard(loop);
        loop.RunForever();
        threads.ForEach(t => t.Join());
        Assert.Equal(Threads * Each, count);
    }

    [Fact]
    public void SynchronizationContext_Send_and_Post_from_another_thread_run_on_the_loop()
    {
        using var loop = new EventLoop();
        int loopThread = Environment.CurrentManagedThreadId;
        var ranOn = new List<int>();
        var other = new Thread(() =>
        {
            SynchronizationContext context = loop;
            context.Send(_ => ranOn.Add(Environment.CurrentManagedThreadId), null);
            context.Post(_ =>
            {
                ranOn.Add(Environment.CurrentManagedThreadId);
                loop.Stop();
            }, null);
        });
        loop.CallSoon(other.Start);
        Guard(loop);
        loop.RunForever();
        other.Join();
        Assert.Equal(new[] { loopThread, loopThread }, ranOn);
    }

    [Fact]
    public void Stop_from_another_thread_stops_the_loop()
    {
        using var loop = new EventLoop();
        var stopper = new Thread(() =>
        {
            Thread.Sleep(50);
            loop.Stop();
        });
        stopper.Start();
        Guard(loop);
        var watch = Stopwatch.StartNew();
        loop.RunForever();
        stopper.Join();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15));
        Assert.False(loop.IsRunning);
    }

    [Fact]
    public void An_exception_in_a_callback_goes_to_the_handler_and_the_loop_keeps_running()
    {
        using var loop = new EventLoop();
        var errors = new List<LoopExceptionContext>();
        loop.ExceptionHandler = (l, context) => errors.Add(context);
        bool after = false;
        loop.CallSoon(() => throw new InvalidOperationException("boom"));
        loop.CallLater(TimeSpan.FromMilliseconds(10), () => throw new FormatException("timer boom"));
        loop.CallLater(TimeSpan.FromMilliseconds(30), () =>
        {
            after = true;
            loop.Stop();
        });
        Guard(loop);
        loop.RunForever();
        Assert.True(after);
        Assert.Equal(2, errors.Count);
        Assert.IsType<InvalidOperationException>(errors[0].Exception);
        Assert.IsType<FormatException>(errors[1].Exception);
        Assert.Contains("exception in callback", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_exception_handler_falls_back_to_stderr_and_the_loop_survives()
    {
        using var loop = new EventLoop();
        loop.ExceptionHandler = (_, _) => throw new InvalidOperationException("handler broken");
        bool after = false;
        TextWriter old = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            loop.CallSoon(() => throw new InvalidOperationException("boom"));
            loop.CallSoon(() =>
            {
                after = true;
                loop.Stop();
            });
            loop.RunForever();
        }
        finally
        {
            Console.SetError(old);
        }
        Assert.True(after);
        Assert.Contains("boom", captured.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Readers_and_writers_fire_until_removed()
    {
        using var loop = new EventLoop();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            int reads = 0, writes = 0;
            loop.AddReader(a.Fd, () =>
            {
                reads++;
                Fds.Drain(a);
                Assert.True(loop.RemoveReader(a.Fd));
                Assert.False(loop.RemoveReader(a.Fd));
                loop.Stop();
            });
            loop.AddWriter(b.Fd, () =>
            {
                writes++;
                Fds.Write(b, 4);
                Assert.True(loop.RemoveWriter(b.Fd));
            });
            Guard(loop);
            loop.RunForever();
            Assert.Equal(1, reads);
            Assert.Equal(1, writes);
        }
    }

    [Fact]
    public void Coroutines_resume_on_the_loop_thread_in_order()
    {
        using var loop = new EventLoop();
        int loopThread = Environment.CurrentManagedThreadId;
        var order = new List<string>();
        var threads = new HashSet<int>();

        async Task Worker(string name)
        {
            for (int i = 0; i < 3; i++)
            {
                order.Add(name + i);
                threads.Add(Environment.CurrentManagedThreadId);
                await Task.Yield();
            }
        }

        loop.RunUntilComplete(async () =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            Assert.Same(loop, SynchronizationContext.Current);
            Assert.Same(loop, EventLoop.Running);
            await Task.WhenAll(Worker("a"), Worker("b"), Worker("c"));
            // An ordinary Task completing on a pool thread brings the continuation back here.
            await Task.Delay(20);
            threads.Add(Environment.CurrentManagedThreadId);
            await Task.Run(() => Thread.Sleep(5));
            threads.Add(Environment.CurrentManagedThreadId);
            await loop.Sleep(TimeSpan.FromMilliseconds(5));
            threads.Add(Environment.CurrentManagedThreadId);
        });
        Assert.Equal(new[] { "a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2" }, order);
        Assert.Equal(new[] { loopThread }, threads);
        Assert.Null(EventLoop.Running);
    }

    [Fact]
    public void RunUntilComplete_returns_the_result_or_throws_the_exception()
    {
        using var loop = new EventLoop();
        Assert.Equal(42, loop.RunUntilComplete(async () =>
        {
            await loop.Sleep(TimeSpan.FromMilliseconds(1));
            return 42;
        }));
        var e = Assert.Throws<FormatException>(() => loop.RunUntilComplete(async () =>
        {
            await Task.Yield();
            throw new FormatException("inside");
        }));
        Assert.Equal("inside", e.Message);
        Assert.Equal(7, loop.RunUntilComplete(Task.FromResult(7)));
        loop.RunUntilComplete(new ValueTask(Task.Delay(5)));
    }

    [Fact]
    public void RunUntilComplete_refuses_to_return_a_task_that_is_not_done()
    {
        using var loop = new EventLoop();
        var never = new TaskCompletionSource();
        loop.CallLater(TimeSpan.FromMilliseconds(10), loop.Stop);
        var e = Assert.Throws<InvalidOperationException>(() => loop.RunUntilComplete(never.Task));
        Assert.Contains("stopped before the task", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sleep_waits_at_least_its_delay()
    {
        using var loop = new EventLoop();
        var watch = Stopwatch.StartNew();
        loop.RunUntilComplete(() => loop.Sleep(TimeSpan.FromMilliseconds(50)));
        Assert.True(watch.Elapsed.TotalMilliseconds >= 49.5);
    }

    [Fact]
    public async Task RunAsync_from_another_thread_runs_on_the_loop_and_returns_its_result()
    {
        EventLoop? loop = null;
        int loopThread = 0;
        using var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            using var l = new EventLoop();
            loop = l;
            loopThread = Environment.CurrentManagedThreadId;
            l.CallSoon(started.Set);
            l.CallLater(TimeSpan.FromSeconds(30), l.Stop);
            l.RunForever();
        });
        thread.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        int ranOn = await loop!.RunAsync(async () =>
        {
            await loop.Sleep(TimeSpan.FromMilliseconds(5));
            return Environment.CurrentManagedThreadId;
        });
        Assert.Equal(loopThread, ranOn);
        await Assert.ThrowsAsync<FormatException>(() => loop.RunAsync(() => throw new FormatException()));
        // Loop-only calls from the wrong thread are refused while it runs.
        Assert.Throws<InvalidOperationException>(() => loop.CallSoon(() => { }));
        loop.Stop();
        thread.Join();
    }

    [Fact]
    public void Running_twice_or_disposing_while_running_is_refused()
    {
        using var loop = new EventLoop();
        Exception? nested = null, dispose = null;
        loop.CallSoon(() =>
        {
            nested = Record.Exception(loop.RunForever);
            dispose = Record.Exception(loop.Dispose);
            loop.Stop();
        });
        loop.RunForever();
        Assert.IsType<InvalidOperationException>(nested);
        Assert.IsType<InvalidOperationException>(dispose);
        loop.Dispose();
        Assert.True(loop.IsClosed);
        Assert.Throws<ObjectDisposedException>(loop.RunForever);
    }

    [Fact]
    public void Steady_state_loop_iterations_allocate_nothing()
    {
        using var loop = new EventLoop();
        var (a, b) = Fds.Pair();
        using (a)
        using (b)
        {
            long allocated = -1;
            int reads = 0;
            long before = 0;
            loop.AddReader(a.Fd, () =>
            {
                Fds.Drain(a);
                reads++;
                if (reads == 100)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                }
                if (reads == 10_100)
                {
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    loop.Stop();
                    return;
                }
                Fds.Write(b);
            });
            Fds.Write(b);
            Guard(loop, 60);
            loop.RunForever();
            Assert.Equal(0, allocated);
        }
    }
}
