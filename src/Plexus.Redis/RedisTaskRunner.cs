using System.Buffers;
using System.Reflection;
using System.Runtime.CompilerServices;
using MessagePack;
using Plexus.Processes;
using Plexus.Processes.Serialization;

namespace Plexus.Redis;

/// <summary>
/// Runs inside a <see cref="RedisWorker"/>'s local pool processes: loads the user's app once
/// (the pool's initializer) and runs a stream entry's calls against it. Only a static method (or a
/// lambda that captures nothing) of that app runs: a task naming any other assembly is refused.
/// </summary>
internal static class RedisTaskRunner
{
    private static readonly Dictionary<string, (MethodInfo Method, object? Instance, Type[] Parameters)> s_resolved = [];
    private static Assembly? s_app;

    /// <summary>The pool's initializer: loads the app at <paramref name="appPath"/> into this process.</summary>
    public static void LoadApp(string appPath) => s_app = Assembly.LoadFrom(appPath);

    /// <summary>Runs the calls of one entry (<c>[[args…], …]</c>) and returns their results (<c>[result, …]</c>), each by its declared type.</summary>
    public static byte[] Run(string hint, byte[] calls)
    {
        (MethodInfo method, object? instance, Type[] parameters) = Resolve(hint);
        MessagePackSerializerOptions options = PlexusSerializer.Options;
        var reader = new MessagePackReader(calls);
        int count = reader.ReadArrayHeader();
        var output = new ArrayBufferWriter<byte>(64 + count * 8);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(count);
        var args = new object?[parameters.Length];
        for (int c = 0; c < count; c++)
        {
            int given = reader.ReadArrayHeader();
            if (given != parameters.Length)
            {
                throw new ArgumentException($"{method.DeclaringType?.FullName}.{method.Name} takes {parameters.Length} arguments but the task sent {given}");
            }
            for (int i = 0; i < parameters.Length; i++)
            {
                using (PlexusSerializer.LeavingHost()) // only the payload: the task itself may pass shareables to its own children
                {
                    args[i] = MessagePackSerializer.Deserialize(parameters[i], ref reader, options);
                }
            }
            object? result = method.Invoke(instance, BindingFlags.DoNotWrapExceptions, null, args, null);
            if (method.ReturnType == typeof(void))
            {
                writer.WriteNil();
            }
            else
            {
                using (PlexusSerializer.LeavingHost())
                {
                    MessagePackSerializer.Serialize(method.ReturnType, ref writer, result, options);
                }
            }
        }
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    private static (MethodInfo, object?, Type[]) Resolve(string hint)
    {
        if (s_resolved.TryGetValue(hint, out var known))
        {
            return known;
        }
        Assembly app = s_app ?? throw new InvalidOperationException("the worker's app was not loaded; start the worker with --app PATH_TO_APP.dll");
        Target target = Target.FromHint(hint) ?? throw new InvalidDataException($"the task names its target as '{hint}', which is not assembly|module|token");
        string wanted = new AssemblyName(target.AssemblyName).Name ?? "";
        if (!string.Equals(wanted, app.GetName().Name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"this worker runs {app.GetName().Name} ({app.Location}) and refuses a target in {wanted}; start a worker with --app pointing at {wanted}.dll for this queue");
        }
        Module module = app.Modules.FirstOrDefault(m => m.ModuleVersionId == target.ModuleVersionId)
            ?? throw new InvalidOperationException($"the worker loaded a different build of {wanted} than the client ran ({app.Location}); deploy the same build to the workers and restart them");
        if (module.ResolveMethod(target.MetadataToken) is not MethodInfo method)
        {
            throw new InvalidOperationException($"metadata token {target.MetadataToken} is not a method of {wanted}");
        }
        object? instance = null;
        if (!method.IsStatic)
        {
            Type owner = method.DeclaringType!;
            // Only a non-capturing lambda's closure class qualifies: it has no instance state, so a blank instance behaves the same.
            if (!owner.IsDefined(typeof(CompilerGeneratedAttribute), false) || owner.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).Length > 0)
            {
                throw new InvalidOperationException($"{owner.FullName}.{method.Name} is not a static method or a lambda that captures nothing; workers run only those");
            }
            instance = RuntimeHelpers.GetUninitializedObject(owner);
        }
        var entry = (method, instance, method.GetParameters().Select(p => p.ParameterType).ToArray());
        s_resolved[hint] = entry;
        return entry;
    }
}
