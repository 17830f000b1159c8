using MessagePack.Formatters;

namespace Plexus.Processes.Serialization;

/// <summary>
/// MessagePack's formatters for primitives and strings, taken one by one. Asking
/// <c>BuiltinResolver</c> instead runs its static constructor, which builds all of its ~150 formatters
/// (hundreds of methods to compile in a new process, tens of milliseconds), while a pool's or a child's
/// values are usually an int or a string. The formatters are MessagePack's own, so the bytes are the same.
/// </summary>
internal static class PrimitiveFormatters
{
    /// <summary>The formatter of <paramref name="type"/> when it is a primitive (not an enum) or a string; otherwise <c>null</c>.</summary>
    public static object? For(Type type)
    {
        if (type == typeof(string))
        {
            return NullableStringFormatter.Instance;
        }
        if (!type.IsPrimitive)
        {
            return null;
        }
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 => Int32Formatter.Instance,
            TypeCode.Int64 => Int64Formatter.Instance,
            TypeCode.Double => DoubleFormatter.Instance,
            TypeCode.Boolean => BooleanFormatter.Instance,
            TypeCode.Single => SingleFormatter.Instance,
            TypeCode.Int16 => Int16Formatter.Instance,
            TypeCode.UInt16 => UInt16Formatter.Instance,
            TypeCode.UInt32 => UInt32Formatter.Instance,
            TypeCode.UInt64 => UInt64Formatter.Instance,
            TypeCode.Byte => ByteFormatter.Instance,
            TypeCode.SByte => SByteFormatter.Instance,
            TypeCode.Char => CharFormatter.Instance,
            _ => null, // IntPtr and UIntPtr: left to the resolvers
        };
    }
}
