namespace Plexus.Lab.Bench;

/// <summary>One model at one connection level: the numbers, or why the model could not hold it.</summary>
internal sealed class BenchCell
{
    public required string Model { get; init; }
    public string Group => ModelGroups.Of(Model);
    public required int Connections { get; init; }
    public string? Skipped { get; set; }
    public long Connected { get; set; }
    public double ConnectSeconds { get; set; }
    public long RoundTrips { get; set; }
    public double RoundTripsPerSecond { get; set; }
    public double P50Us { get; set; }
    public double P99Us { get; set; }
    public double MaxUs { get; set; }
    public double ServerCpuSeconds { get; set; }
    public double ServerCpuUsPerRoundTrip { get; set; }

    /// <summary>The server's CPU use with no connection at all, in % of one core (measured once per model).</summary>
    public double? ServerIdleCpuPercent { get; set; }
    public double ServerRssMb { get; set; }
    public long Errors { get; set; }
    public long KernelDrops { get; set; }
    public string ErrorSummary { get; set; } = "none";
    public double? ThroughputVsBaseline { get; set; }
    public double? CpuVsBaseline { get; set; }

    /// <summary>Measured, with round trips to divide by.</summary>
    public bool HasNumbers => Skipped is null && RoundTrips > 0;
}
