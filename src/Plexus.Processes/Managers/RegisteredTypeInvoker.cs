using System.Globalization;
using System.Reflection;

namespace Plexus.Processes;

/// <summary>
/// Builds and calls instances of types registered with <see cref="ProcessManager.Register{T}(string)"/>
/// by reflection: the first public constructor or method of that name whose parameters the arguments
/// fit, widening or narrowing primitive numbers when the value fits.
/// </summary>
internal static class RegisteredTypeInvoker
{
    /// <summary>A new <paramref name="type"/> built from <paramref name="args"/>.</summary>
    public static object Construct(Type type, object?[] args)
    {
        foreach (ConstructorInfo ctor in type.GetConstructors())
        {
            if (TryConvert(ctor.GetParameters(), args, out object?[] converted))
            {
                return Unwrapped(() => ctor.Invoke(converted))!;
            }
        }
        throw new ArgumentException($"{type.Name} has no public constructor taking ({Describe(args)})");
    }

    /// <summary>Calls the public instance method <paramref name="method"/> of <paramref name="target"/>.</summary>
    public static object? Call(object target, string method, object?[] args)
    {
        MethodInfo[] candidates = [.. target.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name == method && m.DeclaringType != typeof(object) && !m.IsSpecialName && !m.IsGenericMethodDefinition)];
        if (candidates.Length == 0)
        {
            throw new InvalidOperationException($"{target.GetType().Name} has no public method '{method}'");
        }
        foreach (MethodInfo m in candidates)
        {
            if (TryConvert(m.GetParameters(), args, out object?[] converted))
            {
                return Unwrapped(() => m.Invoke(target, converted));
            }
        }
        throw new ArgumentException(
            $"{target.GetType().Name}.{method} takes ({string.Join(", ", candidates[0].GetParameters().Select(p => p.ParameterType.Name))}), not ({Describe(args)})");
    }

    /// <summary>Runs a reflective call and throws what the called code threw, not the reflection wrapper.</summary>
    private static object? Unwrapped(Func<object?> call)
    {
        try
        {
            return call();
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
            throw;
        }
    }

    private static string Describe(object?[] args) => string.Join(", ", args.Select(a => a?.GetType().Name ?? "null"));

    private static bool TryConvert(ParameterInfo[] parameters, object?[] args, out object?[] converted)
    {
        converted = new object?[parameters.Length];
        if (args.Length != parameters.Length)
        {
            return false;
        }
        for (int i = 0; i < args.Length; i++)
        {
            Type p = parameters[i].ParameterType;
            object? a = args[i];
            if (a is null ? !p.IsValueType || Nullable.GetUnderlyingType(p) is not null : p.IsInstanceOfType(a))
            {
                converted[i] = a;
            }
            else if (a is IConvertible && (Nullable.GetUnderlyingType(p) ?? p) is { IsPrimitive: true } target
                     && a.GetType().IsPrimitive && target != typeof(bool) && a is not bool)
            {
                try
                {
                    converted[i] = Convert.ChangeType(a, target, CultureInfo.InvariantCulture);
                }
                catch (OverflowException)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }
        return true;
    }
}
