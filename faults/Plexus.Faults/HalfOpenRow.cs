using System.Net.Sockets;

namespace Plexus.Faults;

/// <summary>
/// Half-open and stalled peers: 4 clients send 1,000 bytes and shut down their sending side (the server
/// must echo all of it and close within 2 s); 4 connect and stay silent; 2 send as much as the buffers
/// take and never read. With the silent and stalled ones still open, a fresh client's echo must take
/// under 1 s.
/// </summary>
internal sealed class HalfOpenRow(string model) : ServerRow(model)
{
    public override string Name => $"half-open-{Model}";

    public override string Description => $"half-closed, silent and never-reading peers on `serve --model {Model}`: others echo in < 1 s";

    protected override void Attack(Random random)
    {
        var open = new List<Socket>();
        try
        {
            var halfClosed = new List<(Socket Socket, byte[] Sent)>();
            for (int i = 0; i < 4; i++)
            {
                Socket s = Server.Connect();
                open.Add(s);
                byte[] payload = new byte[1000];
                random.NextBytes(payload);
                s.Send(payload);
                s.Shutdown(SocketShutdown.Send);
                halfClosed.Add((s, payload));
            }
            for (int i = 0; i < 4; i++)
            {
                open.Add(Server.Connect());
            }
            for (int i = 0; i < 2; i++)
            {
                Socket s = Server.Connect();
                open.Add(s);
                s.Blocking = false;
                byte[] chunk = new byte[64 * 1024];
                for (int sent = 0; sent < 8 * 1024 * 1024;)
                {
                    try
                    {
                        sent += s.Send(chunk);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                    {
                        break; // both directions' buffers are full: the server cannot write its echo
                    }
                }
            }
            Thread.Sleep(random.Next(50));
            Server.Probe(4096, ProbeBound);
            foreach ((Socket s, byte[] sent) in halfClosed)
            {
                s.ReceiveTimeout = (int)ProbeBound.TotalMilliseconds * 2;
                var echo = new MemoryStream();
                byte[] buffer = new byte[4096];
                try
                {
                    int n;
                    while ((n = s.Receive(buffer)) > 0)
                    {
                        echo.Write(buffer, 0, n);
                    }
                }
                catch (SocketException e)
                {
                    throw new FaultCheckException($"{Model}: half-closed client: {echo.Length} of {sent.Length} bytes then {e.SocketErrorCode} (no close in time)");
                }
                Check.That(echo.ToArray().AsSpan().SequenceEqual(sent), $"{Model}: half-closed client got {echo.Length} of {sent.Length} bytes back");
            }
        }
        finally
        {
            foreach (Socket s in open)
            {
                s.Dispose();
            }
        }
    }
}
