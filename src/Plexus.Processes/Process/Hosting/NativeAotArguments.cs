using Plexus.Processes.Serialization;

namespace Plexus.Processes.Hosting;

/// <summary>
/// Which argument types a child's start carries in a NativeAOT app. There a user's class or struct
/// cannot travel as its fields: the compiler keeps field metadata only for what it sees reflected,
/// so its fields could silently go missing. What is left needs no reflection: primitives, text,
/// bytes, arrays and lists of those, <c>object</c> (its closed set of types) and Plexus's
/// process-shared objects.
/// </summary>
internal static class NativeAotArguments
{
    /// <summary>Why a value declared as <paramref name="type"/> cannot start a child in a NativeAOT app, or <c>null</c>.</summary>
    public static string? WhyNot(Type type)
    {
        if (IsPlain(type) || typeof(IProcessShareable).IsAssignableFrom(type) || type == typeof(object) || type == typeof(object[]))
        {
            return null;
        }
        Type? element = type.IsArray && type.GetArrayRank() == 1 ? type.GetElementType()
            : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0]
            : null;
        if (element is not null && IsPlain(element))
        {
            return null;
        }
        return $"in a NativeAOT app Plexus cannot send a {type.Name} to a child (its serializer is made at run time, by reflection over " +
               "fields the AOT compiler may not keep); declare the parameter as primitives, strings, byte[], arrays or lists of those, or " +
               "Plexus's process-shared objects (Connection, ProcessQueue<T>, ...), e.g. the type's fields as separate arguments, " +
               "or publish without PublishAot";
    }

    private static bool IsPlain(Type type)
    {
        return (type.IsPrimitive && type != typeof(IntPtr) && type != typeof(UIntPtr)) || type == typeof(string) || type == typeof(byte[]);
    }
}
