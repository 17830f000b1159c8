using System.Diagnostics;
using MessagePack;

namespace Plexus.Fuzz;

/// <summary>
/// Which exceptions a decoder may throw on hostile bytes. Every read goes through
/// <see cref="MessagePackSerializer"/>, which wraps whatever a formatter throws in a
/// <see cref="MessagePackSerializationException"/>: callers catch that one type, so the wrapper is the
/// contract. Inside it, an exception thrown by MessagePack's own formatters is MessagePack's to word;
/// one thrown while Plexus's code was reading (an <see cref="OverflowException"/> from a read Plexus
/// chose, an <see cref="ArgumentException"/> from a value Plexus built unchecked) is a Plexus decoder
/// that did not check its input: a finding.
/// </summary>
internal static class Expected
{
    public static bool IsSerializerError(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is MessagePackSerializationException or EndOfStreamException or InsufficientExecutionStackException
                or Plexus.Processes.Serialization.NotSerializableException)
            {
                continue;
            }
            return x != e && !ThrownInPlexus(x);
        }
        return true;
    }

    /// <summary>Whether the first frame past the runtime's and MessagePack's reader primitives (frames of any other code) is Plexus's code.</summary>
    private static bool ThrownInPlexus(Exception e)
    {
        foreach (StackFrame frame in new StackTrace(e).GetFrames())
        {
            string type = frame.GetMethod()?.DeclaringType?.FullName ?? "";
            if (type.StartsWith("Plexus.", StringComparison.Ordinal))
            {
                return true;
            }
            if (type.StartsWith("MessagePack.", StringComparison.Ordinal) && !type.StartsWith("MessagePack.MessagePackReader", StringComparison.Ordinal))
            {
                return false;
            }
        }
        return false;
    }
}
