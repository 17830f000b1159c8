using Plexus.Processes.Serialization;
using StackExchange.Redis;

namespace Plexus.Redis;

/// <summary>Values in and out of Redis with Plexus's serializer, by declared type.</summary>
internal static class RedisValues
{
    public static RedisValue Write<T>(T value)
    {
        using (PlexusSerializer.LeavingHost())
        {
            return PlexusSerializer.Serialize(value);
        }
    }

    public static T Read<T>(RedisValue value)
    {
        using (PlexusSerializer.LeavingHost())
        {
            return PlexusSerializer.Deserialize<T>((byte[])value!);
        }
    }
}
