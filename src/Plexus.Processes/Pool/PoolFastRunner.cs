using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;

namespace Plexus.Processes;

/// <summary>
/// Runs a worker's one-argument tasks through a typed delegate: no reflection call, no boxing,
/// generic (de)serialization per item, raw memory for primitive chunks. This is what makes map fast.
/// </summary>
internal abstract class PoolFastRunner
{
    /// <summary>Runs <paramref name="calls"/> calls of <c>[argument]</c> from <paramref name="reader"/>, one result each to <paramref name="writer"/>.</summary>
    public abstract void Run(ref MessagePackReader reader, ref MessagePackWriter writer, int calls);

    /// <summary>Runs a map chunk (<see cref="PoolWire.Items"/> or <see cref="PoolWire.RawItems"/>).</summary>
    /// <returns>The response status: <see cref="PoolWire.Results"/> or <see cref="PoolWire.RawResults"/>.</returns>
    public abstract int RunChunk(byte kind, ReadOnlyMemory<byte> payload, ArrayBufferWriter<byte> output);

    /// <summary>A runner for <paramref name="method"/>, or <c>null</c> when it does not take exactly one plain argument and return a value.</summary>
    public static PoolFastRunner? TryCreate(MethodInfo method, object? instance)
    {
        ParameterInfo[] parameters = method.GetParameters();
        if (parameters.Length != 1 || method.ReturnType == typeof(void) || method.ReturnType.IsByRef || parameters[0].ParameterType.IsByRef
            || method.ReturnType.IsByRefLike || parameters[0].ParameterType.IsByRefLike || method.ReturnType.IsPointer || parameters[0].ParameterType.IsPointer)
        {
            return null;
        }
        try
        {
            Type funcType = typeof(Func<,>).MakeGenericType(parameters[0].ParameterType, method.ReturnType);
            Delegate func = instance is null ? method.CreateDelegate(funcType) : method.CreateDelegate(funcType, instance);
            return (PoolFastRunner)Activator.CreateInstance(typeof(PoolFastRunner<,>).MakeGenericType(parameters[0].ParameterType, method.ReturnType), func)!;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return null; // falls back to reflection (NotSupportedException: a NativeAOT app without this instantiation, see Keep)
        }
    }

    // False, but not a constant the compiler could fold: the branch in Keep must stay in the code.
    private static readonly bool s_never = Environment.ProcessId == 0;

    /// <summary>
    /// Makes a NativeAOT compiler build <see cref="PoolFastRunner{T1, TResult}"/> for these types: called from the
    /// parent's generic map and apply, so the worker (the same executable) finds the instantiation that
    /// <see cref="TryCreate"/> asks for by name. Under the JIT it does nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors, typeof(PoolFastRunner<,>))]
    public static void Keep<T1, TResult>()
    {
        if (s_never)
        {
            GC.KeepAlive(new PoolFastRunner<T1, TResult>(null!));
        }
    }
}
