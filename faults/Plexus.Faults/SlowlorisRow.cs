using System.Net.Sockets;

namespace Plexus.Faults;

/// <summary>
/// Slowloris: 8 connections trickle one byte at a time with 10-60 ms gaps; meanwhile a fresh client's
/// 4 KiB echo must take under 1 s, and every trickled byte must come back.
/// </summary>
internal sealed class SlowlorisRow(string model) : ServerRow(model)
{
    private const int Slow = 8;

    public override string Name => $"slowloris-{Model}";

    public override string Description => $"8 byte-at-a-time clients on `serve --model {Model}`: others echo in < 1 s, descriptors return";

    protected override void Attack(Random random)
    {
        var slow = new List<Socket>();
        try
        {
            for (int i = 0; i < Slow; i++)
            {
                Socket s = Server.Connect();
                s.ReceiveTimeout = (int)ProbeBound.TotalMilliseconds * 2;
                slow.Add(s);
            }
            var sent = new List<byte>[Slow];
            for (int i = 0; i < Slow; i++)
            {
                sent[i] = [];
            }
            for (int round = 0; round < 5; round++)
            {
                for (int i = 0; i < Slow; i++)
                {
                    byte b = (byte)random.Next(256);
                    slow[i].Send([b]);
                    sent[i].Add(b);
                }
                if (round == 2)
                {
                    Server.Probe(4096, ProbeBound);
                }
                Thread.Sleep(10 + random.Next(51));
            }
            for (int i = 0; i < Slow; i++)
            {
                byte[] echo = new byte[sent[i].Count];
                int got = 0;
                try
                {
                    while (got < echo.Length)
                    {
                        int n = slow[i].Receive(echo, got, echo.Length - got, SocketFlags.None);
                        Check.That(n > 0, $"{Model}: slow connection closed by the server");
                        got += n;
                    }
                }
                catch (SocketException e)
                {
                    throw new FaultCheckException($"{Model}: slow connection got {got} of {echo.Length} echoed bytes ({e.SocketErrorCode})");
                }
                Check.That(echo.AsSpan().SequenceEqual(sent[i].ToArray()), $"{Model}: a slow connection's echo differs");
            }
        }
        finally
        {
            foreach (Socket s in slow)
            {
                s.Dispose();
            }
        }
    }
}
