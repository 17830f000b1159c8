using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

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

    /// <summary>A throwaway CA and a server certificate for 127.0.0.1 signed by it, as PEM files (made here: no openssl binary needed).</summary>
    private static (string Ca, string Cert, string Key) MakeCertificates(string dir)
    {
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=plexus-test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 caCert = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using RSA serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        using X509Certificate2 serverCert = request.Create(caCert, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4]);

        (string ca, string cert, string key) = (Path.Combine(dir, "ca.crt"), Path.Combine(dir, "server.crt"), Path.Combine(dir, "server.key"));
        File.WriteAllText(ca, caCert.ExportCertificatePem());
        File.WriteAllText(cert, serverCert.ExportCertificatePem());
        File.WriteAllText(key, serverKey.ExportPkcs8PrivateKeyPem());
        return (ca, cert, key);
    }
}
