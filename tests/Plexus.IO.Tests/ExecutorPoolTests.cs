using Plexus.Processes;

namespace Plexus.IO.Tests;

/// <summary>
/// <c>RunInExecutorAsync</c> onto a real <see cref="ProcessPool"/>: the work runs in a worker process,
/// and the coroutine (and any continuation) resumes on the loop thread.
/// </summary>
public sealed class ExecutorPoolTests
{
    private static int Square(int x) => x * x;

    private static int WorkerPid() => Environment.ProcessId;

    private static int Fail(int x) => throw new InvalidOperationException($"bad {x}");

    [Fact]
    public void Work_submitted_to_a_process_pool_completes_on_the_loop_thread()
    {
        using var pool = new ProcessPool(2);
        using var loop = new EventLoop();
        loop.CallLater(TimeSpan.FromSeconds(60), loop.Stop);
        int loopThread = Environment.CurrentManagedThreadId;
        loop.RunUntilComplete(async () =>
        {
            int completedOn = 0;
            Task<int> square = loop.RunInExecutorAsync(() => pool.SubmitAsync(Square, 7));
            Task seen = square.ContinueWith(_ => completedOn = Environment.CurrentManagedThreadId, TaskContinuationOptions.ExecuteSynchronously);
            Assert.Equal(49, await square);
            await seen;
            Assert.Equal(loopThread, completedOn);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            int workerPid = await loop.RunInExecutorAsync(() => pool.SubmitAsync(WorkerPid));
            Assert.NotEqual(Environment.ProcessId, workerPid);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            // Several at once, resumed one by one on the loop thread.
            int[] squares = await Task.WhenAll(Enumerable.Range(1, 6).Select(i => loop.RunInExecutorAsync(() => pool.SubmitAsync(Square, i))));
            Assert.Equal(new[] { 1, 4, 9, 16, 25, 36 }, squares);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            // A failure in the worker comes back as the coroutine's exception, on the loop thread.
            Exception e = await Assert.ThrowsAnyAsync<Exception>(() => loop.RunInExecutorAsync(() => pool.SubmitAsync(Fail, 3)));
            Assert.Contains("bad 3", e.Message, StringComparison.Ordinal);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);

            // The Task-returning form without a result.
            bool ran = false;
            await loop.RunInExecutorAsync(async () =>
            {
                await pool.SubmitAsync(WorkerPid);
                ran = true;
            });
            Assert.True(ran);
            Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
        });
    }
}
