using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>Opens a connection for a <see cref="RedisUrl"/> and turns a refusal into one clear line.</summary>
internal static class RedisConnector
{
    public static async Task<ConnectionMultiplexer> ConnectAsync(RedisUrl url, string clientName)
    {
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(url.ToOptions(clientName)).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            string detail = e.InnerException?.Message ?? e.Message;
            bool auth = e.FailureType == ConnectionFailureType.AuthenticationFailure
                || e.ToString().Contains("WRONGPASS", StringComparison.Ordinal) || e.ToString().Contains("NOAUTH", StringComparison.Ordinal)
                || e.ToString().Contains("invalid password", StringComparison.OrdinalIgnoreCase);
            throw new RedisPoolConnectionException(auth
                ? $"redis at {url.Display} refused the credentials{(url.User is null ? "" : $" of user '{url.User}'")}: check the password in the URL (redis://USER:PASSWORD@host:port)"
                : $"could not connect to redis at {url.Display} ({e.FailureType}): is redis-server running there and reachable? {detail}", e);
        }
    }
}
