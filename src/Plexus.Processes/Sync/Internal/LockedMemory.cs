using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Sync;

/// <summary>
/// The wire form shared by <see cref="ProcessValue{T}"/> and <see cref="ProcessArray{T}"/>: their
/// memory and their optional lock, as a two-field array.
/// </summary>
internal static class LockedMemory
{
    public static void Write(ref MessagePackWriter writer, HandleTable handles, SharedMemory memory, ProcessRLock? @lock)
    {
        writer.WriteArrayHeader(2);
        memory.WriteShared(ref writer, handles);
        if (@lock is null)
        {
            writer.WriteNil();
        }
        else
        {
            ((IProcessShareable)@lock).WriteShared(ref writer, handles);
        }
    }

    public static (SharedMemory Memory, ProcessRLock? Lock) Read(ref MessagePackReader reader, HandleTable handles, string what)
    {
        if (reader.ReadArrayHeader() != 2)
        {
            throw new MessagePackSerializationException($"a shared {what} is two fields");
        }
        SharedMemory memory = SharedMemory.ReadShared(ref reader, handles);
        ProcessRLock? @lock = reader.TryReadNil() ? null : ReadLock<ProcessRLock>(ref reader, handles);
        return (memory, @lock);
    }

    private static TLock ReadLock<TLock>(ref MessagePackReader reader, HandleTable handles) where TLock : IProcessShareable<TLock>
        => TLock.ReadShared(ref reader, handles);
}
