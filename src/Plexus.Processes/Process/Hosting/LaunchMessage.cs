using System.Text;

namespace Plexus.Processes.Hosting;

/// <summary>Parent → child: what to run.</summary>
internal sealed class LaunchMessage : IControlMessage
{
    public string AssemblyName { get; set; } = "";
    public Guid ModuleVersionId { get; set; }
    public int MetadataToken { get; set; }
    public string DisplayName { get; set; } = "";

    /// <summary>The target by name (NativeAOT, which has no metadata tokens), or <c>null</c>.</summary>
    public string? Signature { get; set; }

    public string ProcessName { get; set; } = "";
    public byte[][] Arguments { get; set; } = [];

    public void Write(ref ControlWriter writer)
    {
        writer.String(AssemblyName);
        Span<byte> guid = stackalloc byte[16];
        ModuleVersionId.TryWriteBytes(guid);
        writer.Bytes(guid);
        writer.Int(MetadataToken);
        writer.String(DisplayName);
        writer.String(Signature);
        writer.String(ProcessName);
        writer.Int(Arguments.Length);
        foreach (byte[] argument in Arguments)
        {
            writer.Bytes(argument);
        }
    }

    /// <summary>The frame's bytes apart from the arguments (each adds <see cref="ArgumentSize"/>).</summary>
    public int SizeWithoutArguments =>
        StringSize(AssemblyName) + 4 + 16 + 4 + StringSize(DisplayName) + StringSize(Signature) + StringSize(ProcessName) + 4;

    /// <summary>What one argument of <paramref name="bytes"/> adds to the frame.</summary>
    public static int ArgumentSize(byte[] bytes) => 4 + bytes.Length;

    private static int StringSize(string? value) => 4 + Encoding.UTF8.GetByteCount(value ?? "");

    public static LaunchMessage Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ControlReader(bytes);
        var launch = new LaunchMessage
        {
            AssemblyName = reader.String() ?? "",
            ModuleVersionId = new Guid(reader.Bytes()),
            MetadataToken = reader.Int(),
            DisplayName = reader.String() ?? "",
            Signature = reader.String(),
            ProcessName = reader.String() ?? "",
        };
        int count = reader.Int();
        if (count is < 0 or > 1024)
        {
            throw new InvalidDataException("malformed control message");
        }
        launch.Arguments = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            launch.Arguments[i] = reader.Bytes().ToArray();
        }
        return launch;
    }
}
