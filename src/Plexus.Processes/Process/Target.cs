using System.Reflection;
using System.Runtime.CompilerServices;

namespace Plexus.Processes;

/// <summary>
/// A method that a child process runs: checked in the parent (static, or a lambda that captures
/// nothing) and found again in the child by assembly, module and metadata token.
/// </summary>
internal sealed record Target(string AssemblyName, Guid ModuleVersionId, int MetadataToken, string DisplayName)
{
    /// <summary>Checks that <paramref name="target"/> can run in another process and describes it.</summary>
    public static Target From(Delegate target, out ParameterInfo[] parameters)
    {
        ArgumentNullException.ThrowIfNull(target);
        // Under NativeAOT the lookups below fail obscurely; say why children cannot work there at all.
        if (Hosting.PublishMode.IsNativeAot)
        {
            Hosting.PublishMode.EnsureChildrenCanStart();
        }
        if (target.HasSingleTarget is false)
        {
            throw new ArgumentException("a multicast delegate cannot be a child's target; start one child per method", nameof(target));
        }
        MethodInfo method = target.Method;
        string name = Describe(method);
        if (method.IsGenericMethod || method.DeclaringType is { ContainsGenericParameters: true } || method.DeclaringType?.IsGenericType == true)
        {
            throw new ArgumentException($"{name} is generic; a child's target must be a non-generic method. Wrap it in a non-generic static method", nameof(target));
        }
        if (!method.IsStatic)
        {
            Type owner = method.DeclaringType!;
            FieldInfo[] state = owner.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            bool isClosure = owner.IsDefined(typeof(CompilerGeneratedAttribute), false);
            if (!isClosure)
            {
                throw new ArgumentException(
                    $"{name} is an instance method of {owner}; a child process has its own memory and cannot reach this " +
                    "object. Use a static method (or a lambda that captures nothing) and pass the data it needs as arguments",
                    nameof(target));
            }
            if (state.Length > 0)
            {
                string captured = string.Join(", ", state.Select(f => f.Name == "<>4__this" ? "this" : $"'{f.Name}' ({f.FieldType.Name})"));
                throw new ArgumentException(
                    $"the lambda captures {captured} from its enclosing scope; a child process has its own memory, so captured " +
                    "variables cannot follow it. Pass them as arguments instead, e.g. ChildProcess.Create(static (int x) => ..., x)",
                    nameof(target));
            }
        }
        Module module = method.Module;
        // In a single-file app every assembly is bundled and has no path, yet the child (the same executable) loads it by name.
        if (module.Assembly.IsDynamic || (string.IsNullOrEmpty(module.Assembly.Location) && !Hosting.PublishMode.IsSingleFile))
        {
            throw new ArgumentException($"{name} lives in a dynamic or in-memory assembly that a child process cannot load", nameof(target));
        }
        parameters = method.GetParameters();
        return new Target(module.Assembly.FullName!, module.ModuleVersionId, method.MetadataToken, name);
    }

    /// <summary>This target as one line of text (no display name), for a host to prepare before work arrives.</summary>
    public string Hint => $"{AssemblyName}|{ModuleVersionId}|{MetadataToken}";

    /// <summary>Reads <see cref="Hint"/>; <c>null</c> when it is malformed.</summary>
    public static Target? FromHint(string hint)
    {
        string[] parts = hint.Split('|');
        return parts.Length == 3 && Guid.TryParse(parts[1], out Guid mvid) && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out int token)
            ? new Target(parts[0], mvid, token, "the hinted target")
            : null;
    }

    /// <summary>Finds the method again (in the child) and the object to call it on.</summary>
    public (MethodInfo Method, object? Instance) Resolve()
    {
        Assembly assembly = Assembly.Load(new AssemblyName(AssemblyName));
        Module module = assembly.Modules.FirstOrDefault(m => m.ModuleVersionId == ModuleVersionId)
            ?? throw new InvalidOperationException(
                $"the child loaded a different build of {AssemblyName} than the parent ran; {DisplayName} cannot be found. Rebuild and restart");
        var method = (MethodInfo)(module.ResolveMethod(MetadataToken)
            ?? throw new InvalidOperationException($"{DisplayName} was not found in {AssemblyName}"));
        // A non-capturing lambda's owner has no fields, so a fresh, uninitialized instance behaves the same.
        object? instance = method.IsStatic ? null : RuntimeHelpers.GetUninitializedObject(method.DeclaringType!);
        return (method, instance);
    }

    private static string Describe(MethodInfo method) => $"{method.DeclaringType?.FullName}.{method.Name}";
}
