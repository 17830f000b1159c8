using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Plexus.Native.Tests;

public sealed unsafe class SharedFutexTests
{
    [Fact]
    public void Wake_releases_a_thread_sleeping_on_the_word()
    {
        int* word = (int*)NativeMemory.AllocZeroed(sizeof(int));
        try
        {
            bool? result = null;
            long sleptMs = 0;
            var waiter = new Thread(() =>
            {
                long start = Stopwatch.GetTimestamp();
                result = SharedFutex.Wait(word, 0, 60_000);
                sleptMs = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            });
            waiter.Start();
            // Wake returns how many it woke: keep trying until the waiter was asleep to be woken.
            long deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
            int woken = 0;
            while (woken == 0 && Stopwatch.GetTimestamp() < deadline)
            {
                woken = SharedFutex.Wake(word, 1);
                Thread.Yield();
            }
            Assert.Equal(1, woken);
            Assert.True(waiter.Join(TimeSpan.FromSeconds(30)));
            Assert.True(result);
            Assert.True(sleptMs < 30_000, $"the waiter slept {sleptMs} ms: the wake did not reach it");
        }
        finally
        {
            NativeMemory.Free(word);
        }
    }

    [Fact]
    public void Wait_returns_at_once_when_the_word_changed_and_false_on_timeout()
    {
        int* word = (int*)NativeMemory.AllocZeroed(sizeof(int));
        try
        {
            *word = 1;
            long start = Stopwatch.GetTimestamp();
            Assert.True(SharedFutex.Wait(word, 0, 60_000)); // not 0 any more: no sleep at all
            Assert.True(Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30));
            Assert.False(SharedFutex.Wait(word, 1, 20));
            Assert.Equal(0, SharedFutex.Wake(word, 1));
        }
        finally
        {
            NativeMemory.Free(word);
        }
    }
}
