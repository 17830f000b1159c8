using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Plexus.Native;

namespace Plexus.Samples;

/// <summary>
/// The seed's client: opens N connections (10,000 by default), then sends the three messages one
/// after another on every connection and reads each echo back, exactly: a receive may return part
/// of a message, so it keeps reading until all of its bytes arrived, and compares them.
/// </summary>
internal static class S18
{
    private static readonly byte[][] s_messages =
    [
        "This is the message. "u8.ToArray(),
        "It will be sent "u8.ToArray(),
        "in parts."u8.ToArray(),
    ];

    public static int Run(string[] args)
    {
        int connections = 10_000;
        int port = 9999;
        string host = "127.0.0.1";
        for (int i = 0; i < args.Length - 1; i++)
        {
            switch (args[i])
            {
                case "--connections":
                    connections = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--port":
                    port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
                case "--host":
                    host = args[i + 1];
                    break;
            }
        }

        FileDescriptorLimit.Raise(connections + 64);
        var server = new IPEndPoint(IPAddress.Parse(host), port);
        Console.WriteLine($"connecting {connections} sockets to {server}");
        var socks = new Socket?[connections];
        var mismatched = new bool[connections];
        int errors = 0, mismatches = 0;
        string? firstError = null;

        void Fail(int i, Exception e)
        {
            errors++;
            firstError ??= $"connection {i}: {e.Message}";
            socks[i]?.Dispose();
            socks[i] = null;
        }

        for (int i = 0; i < connections; i++)
        {
            try
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
                {
                    NoDelay = true,
                    ReceiveTimeout = 30_000,
                    SendTimeout = 30_000,
                };
                socks[i] = s;
                s.Connect(server);
            }
            catch (SocketException e)
            {
                Fail(i, e);
            }
        }

        byte[] back = new byte[64];
        foreach (byte[] message in s_messages)
        {
            for (int i = 0; i < connections; i++)
            {
                try
                {
                    socks[i]?.Send(message);
                }
                catch (SocketException e)
                {
                    Fail(i, e);
                }
            }
            for (int i = 0; i < connections; i++)
            {
                if (socks[i] is not { } s)
                {
                    continue;
                }
                try
                {
                    int got = 0;
                    while (got < message.Length)
                    {
                        int n = s.Receive(back, got, message.Length - got, SocketFlags.None);
                        if (n == 0)
                        {
                            throw new SocketException((int)SocketError.ConnectionReset, "the server closed the connection before echoing everything");
                        }
                        got += n;
                    }
                    if (!back.AsSpan(0, got).SequenceEqual(message) && !mismatched[i])
                    {
                        mismatched[i] = true;
                        mismatches++;
                    }
                }
                catch (SocketException e)
                {
                    Fail(i, e);
                }
            }
        }

        int ok = 0;
        foreach (Socket? s in socks)
        {
            if (s is not null)
            {
                ok++;
                s.Dispose();
            }
        }
        ok -= mismatches;
        Console.WriteLine($"connections={connections} ok={ok} errors={errors} mismatches={mismatches}");
        if (firstError is not null)
        {
            Console.Error.WriteLine($"first error: {firstError}");
        }
        return errors == 0 && mismatches == 0 ? 0 : 1;
    }
}
