using System.Runtime.InteropServices;
using Plexus.Native;

namespace Plexus.IO.Tests;

/// <summary>Signals delivered on the loop thread and work run on the thread pool with the result back on the loop.</summary>
/// <remarks>SIGWINCH is ignored by default and nothing else in this suite relies on it.</remarks>
public sealed class SignalAndExecutorTests
{
    private const int SIGWINCH = 28;

    private static void Guard(EventLoop loop, int seconds = 30) => loop.CallLater(TimeSpan.FromSeconds(seconds), loop.Stop);

    [Fact]
    public void A_signal_handler_runs_on_the_loop_thread_and_can_be_removed()
    {
        using var loop = new EventLoop();
        Guard(loop);
        int loopThread = Environment.CurrentManagedThreadId;
        int ranOn = 0;
        int runs = 0;
        loop.RunUntilComplete(async () =>
        {
            var handled = new TaskCompletionSource();
            loop.AddSignalHandler(PosixSignal.SIGWINCH, () =>
            {
                ranOn = Environment.CurrentManagedThreadId;
                runs++;
                handled.TrySetResult();
            });
            Assert.True(ProcessIds.Signal(Environment.ProcessId, SIGWINCH), "kill(SIGWINCH) failed");
            await handled.Task;
            Assert.True(loop.RemoveSignalHandler(PosixSignal.SIGWINCH));
            Assert.False(loop.RemoveSignalHandler(PosixSignal.SIGWINCH));
        });
        Assert.Equal(loopThread, ranOn);
        Assert.Equal(1, runs);
    }

    [Fact]
    public void RunInExecutor_runs_on_the_pool_and_returns_on_the_loop()
    {
        using var loop = new EventLoop();
        Guard(loop);
        int loopThread = Environment.CurrentManagedThreadId;
        loop.RunUntilComplete(async () =>
        {
            int completedOn = 0;
            Task<int> work = loop.RunInExecutorAsync(() => Environment.CurrentManagedThreadId);
            Task seen = work.ContinueWith(_ => completedOn = Environment.CurrentManagedThreadId, TaskContinuationOptions.ExecuteSynchronously);
            int ranOn = await work;
            await seen;
            Assert.NotEqual(loopThread, ranOn);
            Assert.Equal(loopThread, completedOn);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => loop.RunInExecutorAsync(() => throw new InvalidOperationException("from the pool")));
            Assert.Equal("from the pool", e.Message);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
        });
    }
}
