using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Plexus.Processes;

/// <summary>
/// A method that a child process runs: checked in the parent (static, or a lambda that captures
/// nothing) and found again in the child, which is the same program: by assembly, module and
/// metadata token where the runtime has them, or by <see cref="Signature"/> (declaring type, name and
/// parameter types) in a NativeAOT app, which has no metadata tokens.
/// </summary>
/// <param name="AssemblyName">The declaring assembly's full name.</param>
/// <param name="ModuleVersionId">The build of the module that holds the method (empty when found by signature).</param>
/// <param name="MetadataToken">The method's token in that module (0 when found by signature).</param>
/// <param name="DisplayName">Type and method, for messages.</param>
/// <param name="Signature">The method by name, <c>null</c> when the token finds it; see <see cref="MakeSignature"/>.</param>
internal sealed record Target(string AssemblyName, Guid ModuleVersionId, int MetadataToken, string DisplayName, string? Signature = null)
{
    private const char Separator = '|';

    /// <summary>Checks that <paramref name="target"/> can run in another process and describes it.</summary>
    public static Target From(Delegate target, out ParameterInfo[] parameters)
    {
        ArgumentNullException.ThrowIfNull(target);
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
            bool isClosure = owner.IsDefined(typeof(CompilerGeneratedAttribute), false);
            if (!isClosure)
            {
                throw new ArgumentException(
                    $"{name} is an instance method of {owner}; a child process has its own memory and cannot reach this " +
                    "object. Use a static method (or a lambda that captures nothing) and pass the data it needs as arguments",
                    nameof(target));
            }
            if (CapturedFields(owner) is { Length: > 0 } state)
            {
                string captured = string.Join(", ", state.Select(f => f.Name == "<>4__this" ? "this" : $"'{f.Name}' ({f.FieldType.Name})"));
                throw new ArgumentException(
                    $"the lambda captures {captured} from its enclosing scope; a child process has its own memory, so captured " +
                    "variables cannot follow it. Pass them as arguments instead, e.g. ChildProcess.Create(static (int x) => ..., x)",
                    nameof(target));
            }
        }
        parameters = method.GetParameters();
        if (Hosting.PublishMode.IsNativeAot)
        {
            // No metadata tokens here; the child is this same executable, so the names find the same method.
            return new Target(method.DeclaringType!.Assembly.FullName!, Guid.Empty, 0, name, MakeSignature(method));
        }
        Module module = method.Module;
        // In a single-file app every assembly is bundled and has no path, yet the child (the same executable) loads it by name.
        if (module.Assembly.IsDynamic || (string.IsNullOrEmpty(module.Assembly.Location) && !Hosting.PublishMode.IsSingleFile))
        {
            throw new ArgumentException($"{name} lives in a dynamic or in-memory assembly that a child process cannot load", nameof(target));
        }
        return new Target(module.Assembly.FullName!, module.ModuleVersionId, method.MetadataToken, name);
    }

    /// <summary>
    /// A method as text that the same program reads back: the declaring type's assembly-qualified name,
    /// the method's name and its parameter types, separated by <c>|</c>.
    /// </summary>
    public static string MakeSignature(MethodInfo method) =>
        string.Join(Separator, [method.DeclaringType!.AssemblyQualifiedName!, method.Name, .. method.GetParameters().Select(p => p.ParameterType.FullName ?? p.ParameterType.Name)]);

    /// <summary>This target as one line of text (no display name), for a host to prepare before work arrives.</summary>
    public string Hint => Signature is null
        ? $"{AssemblyName}{Separator}{ModuleVersionId}{Separator}{MetadataToken}"
        : $"{AssemblyName}{Separator}{ModuleVersionId}{Separator}0{Separator}{Signature}";

    /// <summary>Reads <see cref="Hint"/>; <c>null</c> when it is malformed.</summary>
    public static Target? FromHint(string hint)
    {
        string[] parts = hint.Split(Separator, 4);
        return parts.Length >= 3 && Guid.TryParse(parts[1], out Guid mvid) && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out int token)
            ? new Target(parts[0], mvid, token, "the hinted target", parts.Length == 4 ? parts[3] : null)
            : null;
    }

    /// <summary>Finds the method again (in the child) and the object to call it on.</summary>
    public (MethodInfo Method, object? Instance) Resolve()
    {
        MethodInfo method = Signature is null ? ResolveByToken() : ResolveBySignature();
        // A non-capturing lambda's owner has no fields, so a fresh, uninitialized instance behaves the same.
        object? instance = method.IsStatic ? null : RuntimeHelpers.GetUninitializedObject(method.DeclaringType!);
        return (method, instance);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification =
        "The child is the same (trimmed or not) program as the parent, found by its module version id, so the token names the same method.")]
    private MethodInfo ResolveByToken()
    {
        Assembly assembly = Assembly.Load(new AssemblyName(AssemblyName));
        Module module = assembly.Modules.FirstOrDefault(m => m.ModuleVersionId == ModuleVersionId)
            ?? throw new InvalidOperationException(
                $"the child loaded a different build of {AssemblyName} than the parent ran; {DisplayName} cannot be found. Rebuild and restart");
        return (MethodInfo)(module.ResolveMethod(MetadataToken)
            ?? throw new InvalidOperationException($"{DisplayName} was not found in {AssemblyName}"));
    }

    [UnconditionalSuppressMessage("Trimming", "IL2057", Justification =
        "The parent held a delegate to this method (Delegate.Method), so the same executable keeps its declaring type and its metadata.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As above: the method is a delegate target of this same executable.")]
    private MethodInfo ResolveBySignature()
    {
        string[] parts = Signature!.Split(Separator);
        Type type = (parts.Length >= 2 ? Type.GetType(parts[0], throwOnError: false) : null)
            ?? throw new InvalidOperationException($"{DisplayName} was not found: this program has no type '{parts[0]}' (is the child a different build?)");
        string[] parameterTypes = parts[2..];
        const BindingFlags All = BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        return type.GetMethods(All).FirstOrDefault(m => m.Name == parts[1] && m.GetParameters().Select(p => p.ParameterType.FullName ?? p.ParameterType.Name).SequenceEqual(parameterTypes))
            ?? throw new InvalidOperationException($"{DisplayName} was not found in {type}: no method {parts[1]}({string.Join(", ", parameterTypes)}) (is the child a different build?)");
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification =
        "A closure class's captured variables are fields its own lambdas use, so they are kept; none kept means none captured.")]
    private static FieldInfo[] CapturedFields(Type closure) => closure.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    private static string Describe(MethodInfo method) => $"{method.DeclaringType?.FullName}.{method.Name}";
}
