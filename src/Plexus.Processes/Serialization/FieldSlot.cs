using System.Reflection;
using MessagePack;

namespace Plexus.Processes.Serialization;

/// <summary>One field of a <see cref="FieldsFormatter{T}"/>: reads and writes it with its own type's formatter.</summary>
internal abstract class FieldSlot
{
    public static FieldSlot For(FieldInfo field)
        => (FieldSlot)Activator.CreateInstance(typeof(Of<>).MakeGenericType(field.FieldType), field)!;

    public abstract void Write(ref MessagePackWriter writer, object owner, MessagePackSerializerOptions options);

    public abstract void Read(ref MessagePackReader reader, object owner, MessagePackSerializerOptions options);

    private sealed class Of<TField>(FieldInfo field) : FieldSlot
    {
        public override void Write(ref MessagePackWriter writer, object owner, MessagePackSerializerOptions options)
            => options.Resolver.GetFormatterWithVerify<TField>().Serialize(ref writer, (TField)field.GetValue(owner)!, options);

        public override void Read(ref MessagePackReader reader, object owner, MessagePackSerializerOptions options)
            => field.SetValue(owner, options.Resolver.GetFormatterWithVerify<TField>().Deserialize(ref reader, options));
    }
}
