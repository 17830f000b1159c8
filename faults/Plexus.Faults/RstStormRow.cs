using System.Net.Sockets;

namespace Plexus.Faults;

/// <summary>
/// An RST storm: 100 connections, most sending 100 bytes and some reading the echo first, each closed
/// with SO_LINGER 0 (a reset, not a FIN). The server must stay up, serve a fresh client in under 1 s,
/// and close every reset connection.
/// </summary>
internal sealed class RstStormRow(string model) : ServerRow(model)
{
    public override string Name => $"rst-storm-{Model}";

    public override string Description => $"100 connections reset (SO_LINGER 0) on `serve --model {Model}`: server up, descriptors return";

    protected override void Attack(Random random)
    {
        byte[] payload = new byte[100];
        byte[] echo = new byte[100];
        for (int i = 0; i < Scale(100); i++)
        {
            using Socket s = Server.Connect();
            int mode = random.Next(3);
            if (mode >= 1)
            {
                s.Send(payload);
            }
            if (mode == 2)
            {
                s.ReceiveTimeout = (int)ProbeBound.TotalMilliseconds * 2;
                int got = 0;
                while (got < echo.Length)
                {
                    int n = s.Receive(echo, got, echo.Length - got, SocketFlags.None);
                    Check.That(n > 0, $"{Model}: connection closed before its echo");
                    got += n;
                }
            }
            s.LingerState = new LingerOption(true, 0);
            s.Close();
        }
    }
}
