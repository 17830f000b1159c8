namespace Plexus.Processes.Hosting;

/// <summary>Child → parent: how the target ended.</summary>
internal sealed class ReportMessage : IControlMessage
{
    public int ExitCode { get; set; }
    public string? ErrorType { get; set; }
    public string? ErrorMessage { get; set; }
    public string? ErrorStack { get; set; }

    /// <summary>Whether the error kept the target from running (the launch, the target or an argument failed).</summary>
    public bool BeforeTarget { get; set; }

    public void Write(ref ControlWriter writer)
    {
        writer.Int(ExitCode);
        writer.String(ErrorType);
        writer.String(ErrorMessage);
        writer.String(ErrorStack);
        writer.Int(BeforeTarget ? 1 : 0);
    }

    public static ReportMessage Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ControlReader(bytes);
        return new ReportMessage
        {
            ExitCode = reader.Int(),
            ErrorType = reader.String(),
            ErrorMessage = reader.String(),
            ErrorStack = reader.String(),
            BeforeTarget = reader.Int() != 0,
        };
    }
}
