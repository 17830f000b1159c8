namespace Plexus.Lab.Tests;

/// <summary>
/// The <c>streams</c> model (the echo on Plexus.IO's reader/writer streams) passes the checks every
/// model passes: 200 connections × 50 round trips byte for byte and a clean stop on SIGTERM, and
/// 1 MiB messages through partial sends and the writer's drain.
/// </summary>
public sealed class StreamsModelTests
{
    private readonly ModelTests _models = new();

    [Fact]
    public void Serves_200_connections_50_round_trips_each_with_no_mismatch()
        => _models.Serves_200_connections_50_round_trips_each_with_no_mismatch("streams");

    [Fact]
    public void Echoes_messages_larger_than_socket_buffers_through_partial_sends()
        => _models.Echoes_messages_larger_than_socket_buffers_through_partial_sends("streams");
}
