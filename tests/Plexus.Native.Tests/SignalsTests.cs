using System.Globalization;

namespace Plexus.Native.Tests;

public sealed class SignalsTests
{
    /// <summary>The kernel's own view of the calling thread: <c>/proc/thread-self</c> links to <c>PID/task/TID</c>.</summary>
    private static int KernelThreadId()
    {
        string target = new FileInfo("/proc/thread-self").LinkTarget!;
        return int.Parse(target[(target.LastIndexOf('/') + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void CurrentThreadId_is_the_kernel_id_of_the_calling_thread_and_differs_between_threads()
    {
        int here = Signals.CurrentThreadId();
        Assert.Equal(KernelThreadId(), here);

        int there = 0, thereKernel = -1;
        var other = new Thread(() =>
        {
            there = Signals.CurrentThreadId();
            thereKernel = KernelThreadId();
        });
        other.Start();
        other.Join();
        Assert.Equal(thereKernel, there);
        Assert.NotEqual(here, there);
    }
}
