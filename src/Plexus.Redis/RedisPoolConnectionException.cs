namespace Plexus.Redis;

/// <summary>
/// The Redis server could not be reached, refused the credentials, or stayed unreachable longer
/// than <see cref="RedisPoolOptions.ConnectionLossTimeout"/> while calls were waiting for results.
/// </summary>
public sealed class RedisPoolConnectionException : Exception
{
    /// <summary>Creates the exception with a message that says what happened and what to do.</summary>
    public RedisPoolConnectionException(string message, Exception? innerException = null) : base(message, innerException) { }
}
