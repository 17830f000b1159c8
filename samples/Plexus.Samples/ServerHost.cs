using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Plexus.Samples;

/// <summary>What the echo-server samples share: the listening socket, options and a stop signal.</summary>
internal sealed class ServerHost : IDisposable
{
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private volatile bool _stopping;

    public ServerHost(string[] args)
    {
        int port = 9999;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--port")
            {
                port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            }
        }
        Listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        // The backlog must hold a burst of thousands of connects, or clients stall for a second.
        Listener.Listen(4096);
        Listener.Blocking = false;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public Socket Listener { get; }

    public bool Stopping => _stopping;

    public void Ready(string model)
    {
        Console.WriteLine($"{model} echo server listening on {Listener.LocalEndPoint}");
        Console.Out.Flush();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        Listener.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopping = true;
    }
}
