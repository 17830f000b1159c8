using System.Reflection;

namespace Plexus.Fuzz;

/// <summary>
/// The oracle of the serializer's "no type names" promise: every object a fuzzed payload produced is
/// of a type in <see cref="Plexus.Processes.Serialization.PlexusSerializer"/>'s closed set for
/// <c>object</c>, or of a type the receiver declared (<see cref="FuzzRecord"/> and its field types).
/// </summary>
internal static class ClosedSet
{
    private static readonly HashSet<Type> s_objectTypes =
    [
        typeof(int), typeof(string), typeof(bool), typeof(double), typeof(float), typeof(byte[]), typeof(long),
        typeof(uint), typeof(ulong), typeof(short), typeof(ushort), typeof(byte), typeof(sbyte), typeof(char),
        typeof(Half), typeof(decimal), typeof(Guid), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(DateOnly), typeof(TimeOnly), typeof(object[]), typeof(Dictionary<object, object>), typeof(List<object>),
    ];

    private static readonly HashSet<Type> s_declared =
    [
        typeof(FuzzRecord), typeof(FuzzPoint), typeof(FuzzColor), typeof(int[]), typeof(List<string>),
        typeof(Dictionary<string, object>), typeof(List<FuzzPoint>), typeof(FuzzPoint[]), typeof((int, string)),
    ];

    /// <summary>Throws <see cref="FuzzFinding"/> when <paramref name="value"/> holds an object of a type outside the set.</summary>
    public static void Check(object? value, int depth = 0)
    {
        if (value is null)
        {
            return;
        }
        if (depth > 200)
        {
            throw new FuzzFinding("a decoded object graph is deeper than 200 levels: the depth limit did not hold");
        }
        Type type = value.GetType();
        if (s_objectTypes.Contains(type) || type.IsEnum && s_declared.Contains(type))
        {
            switch (value)
            {
                case object?[] array:
                    foreach (object? item in array)
                    {
                        Check(item, depth + 1);
                    }
                    break;
                case List<object?> list:
                    foreach (object? item in list)
                    {
                        Check(item, depth + 1);
                    }
                    break;
                case Dictionary<object, object?> objectMap:
                    foreach (KeyValuePair<object, object?> pair in objectMap)
                    {
                        Check(pair.Key, depth + 1);
                        Check(pair.Value, depth + 1);
                    }
                    break;
            }
            return;
        }
        if (!s_declared.Contains(type))
        {
            throw new FuzzFinding($"a fuzzed payload instantiated {type}, outside the closed set");
        }
        if (value is System.Collections.IDictionary map)
        {
            foreach (System.Collections.DictionaryEntry entry in map)
            {
                Check(entry.Value, depth + 1);
            }
            return;
        }
        if (value is System.Collections.IEnumerable items)
        {
            foreach (object? item in items)
            {
                Check(item, depth + 1);
            }
            return;
        }
        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (!field.FieldType.IsPrimitive)
            {
                Check(field.GetValue(value), depth + 1);
            }
        }
    }
}
