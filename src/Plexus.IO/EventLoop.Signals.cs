using System.Runtime.InteropServices;

namespace Plexus.IO;

public sealed partial class EventLoop
{
    private Dictionary<PosixSignal, PosixSignalRegistration>? _signalHandlers;

    /// <summary>
    /// Runs <paramref name="callback"/> on the loop thread whenever the process receives
    /// <paramref name="signal"/> (Python's <c>loop.add_signal_handler</c>); replaces an earlier handler
    /// of this loop for it. The runtime's <see cref="PosixSignalRegistration"/> catches the signal and the
    /// loop is woken through <see cref="CallSoonThreadSafe(Action)"/>. The signal's default action
    /// (ending the process for <c>SIGTERM</c>/<c>SIGINT</c>/<c>SIGQUIT</c>) is suppressed while the handler is set.
    /// Raw signal numbers work too: <c>(PosixSignal)10</c> is <c>SIGUSR1</c> on Linux.
    /// </summary>
    public void AddSignalHandler(PosixSignal signal, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        CheckThread(nameof(AddSignalHandler));
        RemoveSignalHandler(signal);
        PosixSignalRegistration registration = PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            if (IsClosed)
            {
                return;
            }
            try
            {
                CallSoonThreadSafe(callback);
            }
            catch (ObjectDisposedException)
            {
                // The loop closed between the check and the call; nobody is left to run the handler.
            }
        });
        (_signalHandlers ??= [])[signal] = registration;
    }

    /// <summary>Removes this loop's handler for <paramref name="signal"/> (Python's <c>remove_signal_handler</c>); false if there was none.</summary>
    public bool RemoveSignalHandler(PosixSignal signal)
    {
        CheckThread(nameof(RemoveSignalHandler));
        if (_signalHandlers is null || !_signalHandlers.Remove(signal, out PosixSignalRegistration? registration))
        {
            return false;
        }
        registration.Dispose();
        return true;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread pool and completes on the loop thread with its result or
    /// exception (Python's <c>loop.run_in_executor(None, func)</c>): blocking calls stay off the loop.
    /// </summary>
    public Task<T> RunInExecutorAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        CheckThread(nameof(RunInExecutorAsync));
        return CompleteOnLoop(Task.Run(work, cancellationToken));
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool and completes on the loop thread when it ends.</summary>
    public Task RunInExecutorAsync(Action work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunInExecutorAsync<bool>(() =>
        {
            work();
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Starts asynchronous <paramref name="work"/> on the thread pool and completes on the loop thread
    /// with its task's result or exception: any executor that hands back a task (a process pool's
    /// <c>SubmitAsync</c>, a remote call) runs off the loop, and the coroutine resumes on the loop.
    /// <code>int square = await loop.RunInExecutorAsync(() => pool.SubmitAsync(Square, 7));</code>
    /// </summary>
    public Task<T> RunInExecutorAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        CheckThread(nameof(RunInExecutorAsync));
        return CompleteOnLoop(Task.Run(work, cancellationToken));
    }

    /// <summary>Starts asynchronous <paramref name="work"/> on the thread pool and completes on the loop thread when its task ends.</summary>
    public Task RunInExecutorAsync(Func<Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunInExecutorAsync<bool>(async () =>
        {
            await work().ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    private void DisposeSignalHandlers()
    {
        if (_signalHandlers is null)
        {
            return;
        }
        foreach (PosixSignalRegistration registration in _signalHandlers.Values)
        {
            registration.Dispose();
        }
        _signalHandlers = null;
    }
}
