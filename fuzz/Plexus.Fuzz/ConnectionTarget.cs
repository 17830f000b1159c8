using Plexus.Native;
using Plexus.Processes;

namespace Plexus.Fuzz;

/// <summary>
/// <c>connection</c>: a <see cref="Connection"/> receiving what a hostile peer wrote (frames, lengths,
/// payloads) and then EOF. The first byte picks the receive call. The oracles: only the documented
/// errors escape (EOF, a refused frame, a short buffer, a serializer error), and a receive never hangs.
/// </summary>
internal static class ConnectionTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        (Connection peer, Connection end) = ProcessPipe.Create();
        using (peer)
        using (end)
        {
            // A smaller limit than the default keeps an exec fast; the check is the same code.
            end.MaxFrameSize = 1 << 20;
            Descriptors.WriteAll(peer.Fd, input.AsSpan(1), default);
            peer.Dispose();
            int mode = input[0] % 5;
            for (int i = 0; i < 10_000; i++)
            {
                try
                {
                    ReceiveOne(end, mode);
                }
                catch (EndOfStreamException)
                {
                    return;
                }
                catch (InvalidDataException) when (end.IsClosed)
                {
                    return;
                }
                catch (ArgumentException e) when (mode == 2 && e.ParamName == "destination")
                {
                }
                // A frame flagged as carrying descriptors: read as bytes it is refused and dropped; if
                // none arrived with it, it is refused as foreign framing. Either way the next frame reads.
                catch (InvalidOperationException e) when (mode is 1 or 2 && e.Message.StartsWith("this message holds shareable objects", StringComparison.Ordinal))
                {
                }
                catch (InvalidDataException e) when (e.Message.Contains(" descriptors but ", StringComparison.Ordinal))
                {
                }
                catch (Exception e) when (Expected.IsSerializerError(e))
                {
                }
            }
            throw new FuzzFinding("10000 receives from a closed peer's bytes without reaching EOF");
        }
    }

    private static void ReceiveOne(Connection end, int mode)
    {
        switch (mode)
        {
            case 0: ClosedSet.Check(end.Receive()); break;
            case 1: end.ReceiveBytes(); break;
            case 2: end.ReceiveBytes(stackalloc byte[64]); break;
            case 3: ClosedSet.Check(end.Receive<FuzzRecord>()); break;
            default:
                if (end.TryReceive(TimeSpan.FromMilliseconds(1), out object? value))
                {
                    ClosedSet.Check(value);
                }
                else if (!end.Poll())
                {
                    throw new FuzzFinding("nothing to read and no EOF after the peer closed");
                }
                break;
        }
    }
}
