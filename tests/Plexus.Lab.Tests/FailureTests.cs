using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Plexus.Lab.Tests;

/// <summary>Bad situations end with one clear line and a non-zero exit code, never a hang.</summary>
public sealed class FailureTests
{
    [Fact]
    public async Task Load_against_a_server_that_closes_connections_reports_resets_and_finishes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(1024);
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        // An echo server that drops every other connection after 20 echoes.
        Task server = Task.Run(async () =>
        {
            var clients = new List<Task>();
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                bool drop = n % 2 == 0;
                clients.Add(Task.Run(async () =>
                {
                    using (client)
                    {
                        byte[] buffer = new byte[32];
                        try
                        {
                            for (int echoes = 0; !drop || echoes < 20; echoes++)
                            {
                                int got = await client.ReceiveAsync(buffer);
                                if (got == 0)
                                {
                                    return;
                                }
                                await client.SendAsync(buffer.AsMemory(0, got));
                            }
                        }
                        catch (SocketException)
                        {
                            // The load closes the survivors when its time is up, maybe mid-message.
                        }
                    }
                }));
            }
            await Task.WhenAll(clients);
        });
        string json = Path.Combine(Path.GetTempPath(), $"plexus-load-{Guid.NewGuid():N}.json");
        try
        {
            (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(60),
                "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "20", "--messages", "100", "--json", json);
            using (load)
            {
                Assert.NotEqual(0, exit);
                Assert.Contains(load.Stdout, l => l.StartsWith("errors", StringComparison.Ordinal) && l.Contains("10 reset", StringComparison.Ordinal));
            }
            JsonElement result = LabProcess.ReadJson(json);
            Assert.Equal(10, result.GetProperty("errors").GetInt32());
            Assert.Equal(0, result.GetProperty("mismatches").GetInt32());
        }
        finally
        {
            stop.Cancel();
            listener.Stop();
            await server.WaitAsync(TimeSpan.FromSeconds(10));
            File.Delete(json);
        }
    }

    [Fact]
    public void Serve_on_a_port_in_use_says_so_in_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        (int exit, LabProcess serve) = LabProcess.Run(TimeSpan.FromSeconds(30), "serve", "--model", "epoll", "--port", port.ToString(CultureInfo.InvariantCulture));
        using (serve)
        {
            Assert.NotEqual(0, exit);
            string line = Assert.Single(serve.Stderr);
            Assert.Contains("already in use", line, StringComparison.Ordinal);
            Assert.DoesNotContain(serve.Stdout, l => l.Contains("listening", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Serve_with_an_unknown_model_names_the_choices_in_one_line()
    {
        (int exit, LabProcess serve) = LabProcess.Run(TimeSpan.FromSeconds(30), "serve", "--model", "kqueue", "--port", "9");
        using (serve)
        {
            Assert.NotEqual(0, exit);
            string line = Assert.Single(serve.Stderr);
            Assert.Contains("unknown model 'kqueue'", line, StringComparison.Ordinal);
            Assert.Contains("epoll", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Load_against_a_host_that_refuses_says_so_in_one_line()
    {
        int port = LabProcess.FreePort(); // nothing listens there
        (int exit, LabProcess load) = LabProcess.Run(TimeSpan.FromSeconds(30), "load", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", "10", "--duration", "1s");
        using (load)
        {
            Assert.NotEqual(0, exit);
            string line = Assert.Single(load.Stderr);
            Assert.Contains("refused", line, StringComparison.Ordinal);
            Assert.Empty(load.Stdout);
        }
    }
}
