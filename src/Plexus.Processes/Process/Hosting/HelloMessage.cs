namespace Plexus.Processes.Hosting;

/// <summary>Child → parent, first frame: who is calling.</summary>
internal sealed class HelloMessage : IControlMessage
{
    public string Token { get; set; } = "";
    public int Pid { get; set; }

    public void Write(ref ControlWriter writer)
    {
        writer.String(Token);
        writer.Int(Pid);
    }

    public static HelloMessage Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ControlReader(bytes);
        return new HelloMessage { Token = reader.String() ?? "", Pid = reader.Int() };
    }
}
