using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Plexus.Processes;

namespace Plexus.Lab;

/// <summary>
/// <c>plexus manager --listen ADDR --key-file FILE</c>: a program whose job is to be the manager (Python's
/// remote-manager recipe, <c>serve_forever</c>), serving shared objects to clients on other hosts that call
/// <c>ProcessManager.Connect(address, key)</c>, until SIGINT or SIGTERM.
/// </summary>
internal static class ManagerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "where to serve: tcp://0.0.0.0:50000 (every IPv4 interface), tcp://[::]:50000, tcp://HOST:PORT (port 0: a free one), or a Unix socket path",
            Required = true,
        };
        var keyFile = new Option<string>("--key-file")
        {
            Description = "file whose bytes are the key clients must know; made with 32 random bytes (mode 0600) when missing",
            Required = true,
        };
        var command = new Command("manager", "Serve a manager's shared objects (ProcessManager.ServeForever) to clients that connect with its address and key, until SIGTERM. The key is checked, the traffic is not encrypted: see docs/managers.md.")
        {
            listen, keyFile,
        };
        command.SetAction(p => Run(p.GetValue(listen)!, p.GetValue(keyFile)!));
        return command;
    }

    private static int Run(string address, string keyFile)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // stop serving and exit 0 instead of dying
            stop.Cancel();
        }
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            byte[] key = ReadOrCreateKey(keyFile);
            new ProcessManager(authKey: key).ServeForever(address, actual =>
                Console.WriteLine($"plexus manager: serving on {actual} (key in {keyFile}); clients call ProcessManager.Connect(address, key)"), stop.Token);
            Console.WriteLine("plexus manager: stopped");
            return 0;
        }
        catch (Exception e) when (e is SocketException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"plexus manager: {e.Message}");
            return 2;
        }
    }

    /// <summary>The key in <paramref name="path"/>, made when missing; a key file others can read is refused, as ssh refuses such a private key.</summary>
    private static byte[] ReadOrCreateKey(string path)
    {
        if (!File.Exists(path))
        {
            byte[] fresh = RandomNumberGenerator.GetBytes(32);
            using FileStream file = new(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(fresh);
            return fresh;
        }
        UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if ((File.GetUnixFileMode(path) & others) != 0)
        {
            throw new IOException($"the key file {path} can be read or written by other users; make it owner-only (chmod 600 {path}) and run again");
        }
        byte[] key = File.ReadAllBytes(path);
        return key.Length > 0 ? key : throw new IOException($"the key file {path} is empty; put the shared key's bytes in it, or delete it to have one made");
    }
}
