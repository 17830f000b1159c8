namespace Plexus.Processes;

/// <summary>
/// Carries an exception from the manager to the caller as a type name and message, and rebuilds it
/// from a fixed list of well-known types only (never by loading the named type), so a proxy throws
/// what the local collection would have thrown.
/// </summary>
internal static class RemoteError
{
    public static object?[] Describe(Exception e) => [e.GetType().FullName ?? e.GetType().Name, e.Message];

    public static Exception Rebuild(string type, string message, string address)
    {
        string text = $"{message} (raised in the manager at {address})";
        return type switch
        {
            "System.Collections.Generic.KeyNotFoundException" => new KeyNotFoundException(text),
            "System.ArgumentOutOfRangeException" => new ArgumentOutOfRangeException(null, text),
            "System.ArgumentNullException" => new ArgumentNullException(null, text),
            "System.ArgumentException" => new ArgumentException(text),
            "System.InvalidCastException" => new InvalidCastException(text),
            "System.InvalidOperationException" => new InvalidOperationException(text),
            "System.MissingMethodException" => new MissingMethodException(text),
            "System.NotSupportedException" => new NotSupportedException(text),
            "System.FormatException" => new FormatException(text),
            "System.OverflowException" => new OverflowException(text),
            "System.DivideByZeroException" => new DivideByZeroException(text),
            "System.Threading.SynchronizationLockException" => new SynchronizationLockException(text),
            "Plexus.Processes.NotSerializableException" => new InvalidOperationException(text),
            "Plexus.Processes.ManagerMessageTooLargeException" => new ManagerMessageTooLargeException(text),
            "System.OperationCanceledException" => new OperationCanceledException(text),
            "System.Threading.SemaphoreFullException" => new SemaphoreFullException(text),
            "Plexus.Processes.ProcessBarrierBrokenException" => new ProcessBarrierBrokenException(text),
            _ => new ManagerRemoteException(type, text),
        };
    }
}
