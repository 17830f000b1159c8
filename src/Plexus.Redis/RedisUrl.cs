using System.Net;
using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>
/// A Redis connection string, <c>redis://[user][:password]@host[:port][/db][?auth=none]</c>
/// (<c>rediss://…[?ca=CA.pem]</c> for TLS), or <c>unix:///path/to/redis.sock?password=…[&amp;user=…][&amp;db=N]</c>
/// for a Unix socket, read into StackExchange.Redis options.
/// </summary>
/// <remarks>
/// A URL without a password is refused unless it says <c>?auth=none</c>: a task queue reachable
/// from many hosts runs code on them, so an open server must be an explicit choice.
/// </remarks>
internal sealed record RedisUrl(string Host, int Port, string? User, string? Password, bool Tls, int Database)
{
    /// <summary>The Unix socket to connect to instead of <see cref="Host"/>:<see cref="Port"/>, if any.</summary>
    public string? SocketPath { get; init; }

    /// <summary>For TLS: a PEM file of the CA that issued the server's certificate (<c>?ca=PATH</c>); the server's certificate must chain to it.</summary>
    public string? CaPath { get; init; }

    /// <summary>The URL without its password, for messages and logs.</summary>
    public string Display => SocketPath is not null ? $"unix://{SocketPath}" : $"{(Tls ? "rediss" : "redis")}://{(User is null ? "" : User + "@")}{Host}:{Port}/{Database}";

    public static RedisUrl Parse(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("redis" or "rediss" or "unix"))
        {
            throw new ArgumentException($"'{url}' is not a Redis URL; write redis://:PASSWORD@HOST:6379 (rediss:// for TLS, unix:///path/redis.sock?password=PASSWORD for a socket)", nameof(url));
        }
        Dictionary<string, string> query = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).ToDictionary(p => p[0].ToLowerInvariant(), p => p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "");
        bool noAuth = query.GetValueOrDefault("auth") == "none";
        if (uri.Scheme == "unix")
        {
            string? socketPassword = query.GetValueOrDefault("password");
            if (string.IsNullOrEmpty(socketPassword) && !noAuth)
            {
                throw new ArgumentException($"the Redis URL for {uri.AbsolutePath} has no password; add ?password=PASSWORD (and &user=USER for an ACL user), or ?auth=none to connect to an unprotected server on purpose", nameof(url));
            }
            int db = int.TryParse(query.GetValueOrDefault("db"), System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : 0;
            return new RedisUrl("localhost", 0, query.GetValueOrDefault("user"), socketPassword, false, db) { SocketPath = uri.AbsolutePath };
        }
        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            user = parts[0].Length > 0 ? Uri.UnescapeDataString(parts[0]) : null;
            password = parts.Length > 1 && parts[1].Length > 0 ? Uri.UnescapeDataString(parts[1]) : null;
        }
        if (password is null && !noAuth)
        {
            throw new ArgumentException(
                $"the Redis URL for {uri.Host}:{(uri.IsDefaultPort ? 6379 : uri.Port)} has no password; add one (redis://:PASSWORD@host:port, or redis://USER:PASSWORD@... for an ACL user) or add ?auth=none to connect to an unprotected server on purpose",
                nameof(url));
        }
        int database = 0;
        string path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && !int.TryParse(path, System.Globalization.CultureInfo.InvariantCulture, out database))
        {
            throw new ArgumentException($"'{path}' in the Redis URL is not a database number; write redis://host:port/0", nameof(url));
        }
        string? ca = query.GetValueOrDefault("ca");
        if (ca is not null && !File.Exists(ca))
        {
            throw new ArgumentException($"the CA file {ca} named by ?ca= in the Redis URL does not exist", nameof(url));
        }
        return new RedisUrl(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port, user, password, uri.Scheme == "rediss", database) { CaPath = ca };
    }

    /// <summary>Options for a connection that fails fast at first connect and reconnects by itself afterwards.</summary>
    public ConfigurationOptions ToOptions(string clientName)
    {
        var options = new ConfigurationOptions
        {
            User = User,
            Password = Password,
            Ssl = Tls,
            SslHost = Tls ? Host : null,
            DefaultDatabase = Database,
            ClientName = clientName,
            AbortOnConnectFail = true,
            ConnectTimeout = 5000,
            AsyncTimeout = 10000,
            SyncTimeout = 10000,
            ConnectRetry = 1,
            ReconnectRetryPolicy = new LinearRetry(500),
        };
        if (Tls && CaPath is not null)
        {
            options.TrustIssuer(CaPath);
        }
        options.EndPoints.Add(SocketPath is not null ? (EndPoint)new System.Net.Sockets.UnixDomainSocketEndPoint(SocketPath)
            : IPAddress.TryParse(Host, out IPAddress? ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port));
        return options;
    }
}
