using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;

namespace Plexus.Processes.Serialization;

/// <summary>
/// Writes a user's class or struct as what it really holds: all its instance fields (see
/// <see cref="InstanceFields"/>), private included, as one array in a fixed order with no names. The
/// receiver builds the object without running a constructor and sets the fields (as Python's pickle
/// does), so nothing the object holds is silently left behind; fields whose types cannot cross were
/// refused before this formatter was made.
/// </summary>
internal sealed class FieldsFormatter<T> : IMessagePackFormatter<T>
{
    private readonly FieldSlot[] _slots = [.. InstanceFields.Of(typeof(T)).Select(FieldSlot.For)];

    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }
        Type actual = value.GetType();
        if (actual != typeof(T))
        {
            throw new NotSerializableException(actual,
                $"it stands where {typeof(T).Name} is declared, and only the declared type's fields would travel; declare {actual.Name} there instead");
        }
        object boxed = value;
        writer.WriteArrayHeader(_slots.Length);
        foreach (FieldSlot slot in _slots)
        {
            slot.Write(ref writer, boxed, options);
        }
    }

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default!;
        }
        int count = reader.ReadArrayHeader();
        if (count != _slots.Length)
        {
            throw new MessagePackSerializationException($"a {typeof(T)} has {_slots.Length} fields, the payload {count}: the two processes disagree on the type");
        }
        options.Security.DepthStep(ref reader);
        try
        {
            object boxed = typeof(T).IsValueType ? default(T)! : RuntimeHelpers.GetUninitializedObject(typeof(T));
            foreach (FieldSlot slot in _slots)
            {
                slot.Read(ref reader, boxed, options);
            }
            return (T)boxed;
        }
        finally
        {
            reader.Depth--;
        }
    }
}
