using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Plexus.Processes.Serialization;

/// <summary>
/// What a user type really holds: every instance field of it and its base classes, private ones
/// included, base classes first (the order both processes agree on, since both load the same
/// assembly). A field marked <see cref="NonSerializedAttribute"/> stays behind.
/// </summary>
internal static class InstanceFields
{
    private static readonly ConcurrentDictionary<Type, FieldInfo[]> s_cache = new();

    private static readonly ConcurrentDictionary<Type, string?> s_refusals = new();

    public static FieldInfo[] Of(Type type) => s_cache.GetOrAdd(type, static t =>
    {
        var chain = new Stack<Type>();
        for (Type? c = t; c is not null && c != typeof(object) && c != typeof(ValueType); c = c.BaseType)
        {
            chain.Push(c);
        }
        var fields = new List<FieldInfo>();
        foreach (Type c in chain)
        {
            fields.AddRange(c.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Where(f => !f.IsDefined(typeof(NonSerializedAttribute), inherit: false))
                .OrderBy(f => f.MetadataToken));
        }
        return [.. fields];
    });

    /// <summary>
    /// Whether <paramref name="type"/> is a user's class or struct that travels as its fields: not a
    /// .NET type (those go by MessagePack's own formatters), not abstract, not an enum or primitive.
    /// </summary>
    public static bool TravelsAsFields(Type type)
        => (type.IsClass || type.IsValueType && !type.IsEnum && !type.IsPrimitive)
           && !type.IsAbstract && !type.IsArray && !type.IsPointer && !IsDotNet(type)
           && !type.IsDefined(typeof(MessagePack.MessagePackObjectAttribute), inherit: false)
           && Nullable.GetUnderlyingType(type) is null;

    private static bool IsDotNet(Type type)
        => type.Namespace is { } ns && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal)
                                        || ns == "Microsoft" || ns.StartsWith("Microsoft.", StringComparison.Ordinal));

    /// <summary>
    /// Why some field reachable from <paramref name="type"/> cannot cross, as the field path and its
    /// type (<c>Job._log: FileStream</c>), or <c>null</c>.
    /// </summary>
    public static string? WhyNot(Type type) => s_refusals.GetOrAdd(type, static t => Walk(t, []));

    private static string? Walk(Type type, HashSet<Type> onPath)
    {
        if (typeof(IProcessShareable).IsAssignableFrom(type) || !onPath.Add(type))
        {
            return null;
        }
        try
        {
            if (!TravelsAsFields(type))
            {
                return Inner(type, onPath);
            }
            foreach (FieldInfo field in Of(type))
            {
                Type fieldType = field.FieldType;
                string here = $"{Name(type)}.{Name(field)}: {Name(fieldType)}";
                if (PlexusSerializer.WhyTypeCannotCross(fieldType) is { } why)
                {
                    return $"{here}: {why}; or mark the field [NonSerialized] to leave it behind";
                }
                if (Walk(fieldType, onPath) is { } deeper)
                {
                    return $"{here} → {deeper}";
                }
            }
            return null;
        }
        finally
        {
            onPath.Remove(type);
        }
    }

    /// <summary>Looks inside arrays and generic .NET types (a <c>List&lt;FileStream&gt;</c> field) for a refused type.</summary>
    private static string? Inner(Type type, HashSet<Type> onPath)
    {
        IEnumerable<Type> inner = type.HasElementType ? [type.GetElementType()!]
            : type.IsGenericType ? type.GetGenericArguments() : [];
        foreach (Type t in inner)
        {
            if (PlexusSerializer.WhyTypeCannotCross(t) is { } why)
            {
                return $"{Name(type)}: {why}";
            }
            if (Walk(t, onPath) is { } deeper)
            {
                return deeper;
            }
        }
        return null;
    }

    /// <summary>A field's name as the user wrote it: an auto-property's backing field goes by the property's name.</summary>
    private static string Name(FieldInfo field)
        => field.IsDefined(typeof(CompilerGeneratedAttribute)) && field.Name is ['<', .. var rest] && rest.IndexOf('>') is > 0 and var end
            ? rest[..end]
            : field.Name;

    private static string Name(Type type)
    {
        if (!type.IsGenericType)
        {
            return type.Name;
        }
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return $"{(tick > 0 ? name[..tick] : name)}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>";
    }
}
