using Microsoft.Extensions.Logging;

namespace Plexus.Processes;

/// <summary>The factory <see cref="PlexusLogging.LogToStderr"/> installs: <see cref="StderrLogger"/>s at one minimum level.</summary>
internal sealed class StderrLoggerFactory(LogLevel minimumLevel) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, minimumLevel);

    /// <summary>Providers are a Microsoft.Extensions.Logging concept this small factory does not have.</summary>
    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("the stderr logger of PlexusLogging.LogToStderr takes no providers; set PlexusLogging.LoggerFactory to your own factory instead");

    public void Dispose()
    {
    }
}
