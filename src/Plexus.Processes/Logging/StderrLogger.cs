using Microsoft.Extensions.Logging;

namespace Plexus.Processes;

/// <summary>
/// Writes each message as one line to stderr (<c>[Level/pid N] category: message</c>, then the
/// exception if any), as Python's <c>log_to_stderr</c> handler does. One write per message, so lines
/// of several threads do not interleave.
/// </summary>
internal sealed class StderrLogger(string category, LogLevel minimumLevel) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        string line = $"[{logLevel}/pid {Environment.ProcessId}] {category}: {formatter(state, exception)}";
        if (exception is not null)
        {
            line += Environment.NewLine + exception;
        }
        TextWriter error = Console.Error;
        error.WriteLine(line);
        error.Flush();
    }
}
