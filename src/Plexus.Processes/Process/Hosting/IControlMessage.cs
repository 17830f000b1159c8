namespace Plexus.Processes.Hosting;

/// <summary>
/// A control message, in a plain binary layout (little-endian integers, length-prefixed UTF-8 and
/// byte strings): no type names, and nothing for a starting child to compile but these few lines,
/// since every millisecond here is a millisecond of every child's start.
/// </summary>
internal interface IControlMessage
{
    void Write(ref ControlWriter writer);
}
