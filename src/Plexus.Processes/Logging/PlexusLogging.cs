using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Plexus.Processes;

/// <summary>
/// Where Plexus logs what it otherwise handles silently: pool worker deaths, locks a dead client
/// abandoned in a manager, refused manager connections and manager sessions that end in an error.
/// Logs go to <see cref="LoggerFactory"/>, which is <see cref="NullLoggerFactory"/> (nothing logged)
/// until the application sets its own or calls <see cref="LogToStderr"/>.
/// </summary>
public static class PlexusLogging
{
    /// <summary>The environment variable <see cref="LogToStderr"/> sets so child processes log to their stderr too.</summary>
    public const string StderrVariable = "PLEXUS_LOG_STDERR";

    private static ILoggerFactory? s_factory;

    /// <summary>
    /// The factory Plexus creates its loggers from. Defaults to <see cref="NullLoggerFactory"/>, or to a
    /// stderr logger when this process was started by one that called <see cref="LogToStderr"/>. Set it
    /// before starting pools and managers: loggers already handed out keep their factory.
    /// </summary>
    public static ILoggerFactory LoggerFactory
    {
        get => Volatile.Read(ref s_factory) ?? InitialFactory();
        set => Volatile.Write(ref s_factory, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>
    /// Python's <c>multiprocessing.log_to_stderr(level)</c> in one call: Plexus's messages at
    /// <paramref name="minimumLevel"/> and above go to this process's stderr, one line each, as
    /// <c>[Warning/pid 1234] Plexus.Processes.ProcessPool: ...</c>. Child processes started after the call
    /// (workers, managers) log to their own stderr the same way (through <see cref="StderrVariable"/>).
    /// Needs no logging package beyond the abstractions Plexus references.
    /// </summary>
    /// <returns>The factory now in <see cref="LoggerFactory"/>, to use for the application's own logs.</returns>
    public static ILoggerFactory LogToStderr(LogLevel minimumLevel = LogLevel.Information)
    {
        ILoggerFactory factory = new StderrLoggerFactory(minimumLevel);
        LoggerFactory = factory;
        Environment.SetEnvironmentVariable(StderrVariable, minimumLevel.ToString());
        return factory;
    }

    /// <summary>A logger for <typeparamref name="T"/>'s category from the current <see cref="LoggerFactory"/>.</summary>
    internal static ILogger For<T>() => LoggerFactory.CreateLogger(typeof(T).FullName ?? typeof(T).Name);

    /// <summary>The stderr factory when the parent asked for it (<see cref="StderrVariable"/>), else the null factory.</summary>
    private static ILoggerFactory InitialFactory()
    {
        ILoggerFactory initial = Enum.TryParse(Environment.GetEnvironmentVariable(StderrVariable), out LogLevel level)
            ? new StderrLoggerFactory(level)
            : NullLoggerFactory.Instance;
        return Interlocked.CompareExchange(ref s_factory, initial, null) ?? initial;
    }
}
