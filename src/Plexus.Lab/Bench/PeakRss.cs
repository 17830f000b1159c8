namespace Plexus.Lab.Bench;

/// <summary>
/// The highest RSS a process tree reaches while this object lives, sampled on its own thread: a
/// load run in other processes gives the bench no moment inside its window to sample once, and by
/// the time they exit the server has closed their connections and shrunk again.
/// </summary>
internal sealed class PeakRss : IDisposable
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(200);
    private readonly int _pid;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _sampler;
    private long _peak;

    public PeakRss(int pid)
    {
        _pid = pid;
        _sampler = new Thread(Sample) { IsBackground = true, Name = "bench RSS sampler" };
        _sampler.Start();
    }

    /// <summary>The highest summed RSS seen so far, in bytes.</summary>
    public long Bytes => Interlocked.Read(ref _peak);

    private void Sample()
    {
        do
        {
            long now = ProcessTree.RssBytes(_pid);
            if (now > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, now);
            }
        }
        while (!_stop.Wait(s_interval));
    }

    public void Dispose()
    {
        _stop.Set();
        _sampler.Join();
        _stop.Dispose();
    }
}
