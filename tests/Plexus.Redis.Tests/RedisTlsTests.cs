using System.Diagnostics;

namespace Plexus.Redis.Tests;

public sealed class RedisTlsTests
{
    [Fact]
    public async Task A_pool_and_a_worker_talk_to_redis_over_tls_with_a_private_ca()
    {
        using var redis = new RedisServer(extraArgs: server => MakeCertificates(server.Directory) is var files
            ? ["--port", "0", "--tls-port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
               "--tls-cert-file", files.Cert, "--tls-key-file", files.Key, "--tls-ca-cert-file", files.Ca, "--tls-auth-clients", "no"]
            : []);
        string ca = Path.Combine(redis.Directory, "ca.crt");
        string url = $"rediss://:{RedisServer.Password}@127.0.0.1:{redis.Port}?ca={ca}";
        using PlexusProcess worker = PlexusProcess.StartWorker(url, "tls");

        await using RedisPool pool = await RedisPool.ConnectAsync(url, new RedisPoolOptions { Queue = "tls" });

        Assert.Equal(Enumerable.Range(0, 100).Select(RedisTargets.Square), pool.Map(RedisTargets.Square, Enumerable.Range(0, 100), chunkSize: 10));
        // Without the CA the server's certificate is not trusted, and without TLS the server does not answer.
        await Assert.ThrowsAsync<RedisPoolConnectionException>(() => RedisPool.ConnectAsync($"rediss://:{RedisServer.Password}@127.0.0.1:{redis.Port}"));
        await Assert.ThrowsAsync<RedisPoolConnectionException>(() => RedisPool.ConnectAsync($"redis://:{RedisServer.Password}@127.0.0.1:{redis.Port}"));
    }

    /// <summary>A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with openssl.</summary>
    private static (string Ca, string Cert, string Key) MakeCertificates(string dir)
    {
        string ca = Path.Combine(dir, "ca.crt"), caKey = Path.Combine(dir, "ca.key");
        string cert = Path.Combine(dir, "server.crt"), key = Path.Combine(dir, "server.key"), csr = Path.Combine(dir, "server.csr");
        string ext = Path.Combine(dir, "san.cnf");
        File.WriteAllText(ext, "subjectAltName=IP:127.0.0.1\n");
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "1", "-subj", "/CN=plexus-test-ca");
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1");
        OpenSsl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "1", "-extfile", ext);
        return (ca, cert, key);
    }

    private static void OpenSsl(params string[] args)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process openssl = Process.Start(start)!;
        string error = openssl.StandardError.ReadToEnd();
        openssl.StandardOutput.ReadToEnd();
        openssl.WaitForExit();
        Assert.True(openssl.ExitCode == 0, $"openssl {string.Join(' ', args)}: {error}");
    }
}
