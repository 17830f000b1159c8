using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Plexus.IO.Tests;

/// <summary>.NET's SslStream running on the loop through <see cref="LoopNetworkStream"/>.</summary>
public sealed class TlsTests
{
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Through PKCS#12 so the private key is usable by the TLS server on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    [Fact]
    public void An_SslStream_echo_with_a_self_signed_certificate_runs_entirely_on_the_loop_thread()
    {
        using X509Certificate2 certificate = SelfSigned();
        using var loop = new EventLoop();
        using LoopSocket listener = LoopSocket.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        loop.CallLater(TimeSpan.FromSeconds(60), loop.Stop);
        int loopThread = Environment.CurrentManagedThreadId;
        var threads = new HashSet<int>();
        string? cipher = null;
        string echoed = loop.RunUntilComplete(async () =>
        {
            async Task ServeAsync()
            {
                LoopSocket conn = await loop.AcceptAsync(listener);
                await using var tls = new SslStream(new LoopNetworkStream(loop, conn));
                await tls.AuthenticateAsServerAsync(certificate);
                threads.Add(Environment.CurrentManagedThreadId);
                byte[] buffer = new byte[256];
                int n;
                while ((n = await tls.ReadAsync(buffer)) > 0)
                {
                    await tls.WriteAsync(buffer.AsMemory(0, n));
                    threads.Add(Environment.CurrentManagedThreadId);
                }
            }

            async Task<string> ClientAsync()
            {
            LoopSocket client = LoopSocket.CreateTcp();
            await loop.ConnectAsync(client, listener.LocalEndPoint);
            string result;
            await using (var tls = new SslStream(new LoopNetworkStream(loop, client), false,
                (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString()))
            {
                await tls.AuthenticateAsClientAsync("localhost");
                threads.Add(Environment.CurrentManagedThreadId);
                cipher = tls.NegotiatedCipherSuite.ToString();
                await tls.WriteAsync("hello over TLS on the loop"u8.ToArray());
                byte[] back = new byte[64];
                int got = 0;
                while (got < 26)
                {
                    got += await tls.ReadAsync(back.AsMemory(got));
                    threads.Add(Environment.CurrentManagedThreadId);
                }
                result = Encoding.ASCII.GetString(back, 0, got);
                await tls.ShutdownAsync();
            }
            return result;
            }

            Task server = ServeAsync();
            Task<string> client = ClientAsync();
            // The server first: when its handshake fails, its error explains the client's.
            await Task.WhenAll(server, client);
            return await client;
        });
        Assert.Equal("hello over TLS on the loop", echoed);
        Assert.NotNull(cipher);
        Assert.Equal(new[] { loopThread }, threads);
    }
}
