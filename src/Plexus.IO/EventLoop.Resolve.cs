using System.Net;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    /// <summary>
    /// Resolves <paramref name="host"/> off the loop thread (<see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>,
    /// which blocks a pool thread in <c>getaddrinfo</c>) and completes on the loop thread (Python's <c>loop.getaddrinfo</c>).
    /// </summary>
    public Task<IPAddress[]> GetHostAddressesAsync(string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        CheckThread(nameof(GetHostAddressesAsync));
        return CompleteOnLoop(Dns.GetHostAddressesAsync(host, cancellationToken));
    }

    /// <summary>
    /// Resolves <paramref name="host"/> and connects to its addresses in the resolver's order until one
    /// answers (Python's <c>asyncio.open_connection(host, port)</c>); the last failure is thrown if none does.
    /// </summary>
    public async Task<(LoopStreamReader Reader, LoopStreamWriter Writer)> OpenConnectionAsync(string host, int port,
        int limit = LoopStreamReader.DefaultLimit, CancellationToken cancellationToken = default)
    {
        IPAddress[] addresses = await GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(true);
        if (addresses.Length == 0)
        {
            throw new IOException($"{host} resolved to no addresses; check the name");
        }
        Exception? last = null;
        foreach (IPAddress address in addresses)
        {
            try
            {
                return await OpenConnectionAsync(new IPEndPoint(address, port), limit, cancellationToken).ConfigureAwait(true);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                last = e;
            }
        }
        throw last!;
    }

    /// <summary>
    /// A task that completes with <paramref name="work"/>, on the loop thread: awaiting it from a
    /// coroutine resumes inline, and even a consumer without the loop's context sees the loop thread.
    /// </summary>
    private Task<T> CompleteOnLoop<T>(Task<T> work)
    {
        var done = new TaskCompletionSource<T>();
        work.ContinueWith(static (finished, s) =>
        {
            var (loop, done) = ((EventLoop, TaskCompletionSource<T>))s!;
            try
            {
                loop.CallSoonThreadSafe(static st =>
                {
                    var (t, d) = ((Task<T>, TaskCompletionSource<T>))st!;
                    Transfer(t, d);
                }, (finished, done));
            }
            catch (ObjectDisposedException)
            {
                // The loop closed while the work ran: nobody on it is waiting any more.
                done.TrySetCanceled();
            }
        }, (this, done), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return done.Task;
    }

    private static void Transfer<T>(Task<T> finished, TaskCompletionSource<T> done)
    {
        if (finished.IsCanceled)
        {
            done.TrySetCanceled();
        }
        else if (finished.Exception is { } error)
        {
            done.TrySetException(error.InnerExceptions);
        }
        else
        {
            done.TrySetResult(finished.Result);
        }
    }
}
