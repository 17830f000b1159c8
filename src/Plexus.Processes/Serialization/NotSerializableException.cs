namespace Plexus.Processes.Serialization;

/// <summary>A value of a type that cannot cross to another process, with the reason.</summary>
public sealed class NotSerializableException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="type"/>.</summary>
    public NotSerializableException(Type type, string reason)
        : base($"{type} cannot be sent to another process: {reason}.")
    {
        Type = type;
        Reason = reason;
    }

    /// <summary>The refused type.</summary>
    public Type Type { get; }

    /// <summary>Why it was refused and what to do instead.</summary>
    public string Reason { get; }
}
