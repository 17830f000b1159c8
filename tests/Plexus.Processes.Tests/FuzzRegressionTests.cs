using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

/// <summary>
/// The inputs that crashed a fuzz target (fuzz/run.sh; docs/fuzzing.md), each reduced to the bytes that
/// matter, kept so the defect stays fixed.
/// </summary>
public class FuzzRegressionTests
{
    private const string ResponseFormatter = "Plexus.Processes.PoolResponseFormatter, Plexus.Processes";
    private const string RequestFormatter = "Plexus.Processes.PoolRequestBatchFormatter, Plexus.Processes";

    /// <summary>
    /// Pool frames as the fuzz target fed them (byte 0 even: a worker reading a task batch; odd: the parent
    /// reading a worker's response). The formatters are called directly, outside MessagePack's wrapping, and
    /// let an <see cref="OverflowException"/> (an id or status that is not an int) or an
    /// <see cref="ArgumentException"/> (a target's module id that is not 16 bytes) escape; on the parent's
    /// reader thread that ended the parent. Now they throw <see cref="MessagePackSerializationException"/>,
    /// which the reader treats as the worker's end. The formatters are internal, with no public path that
    /// can put arbitrary bytes on a worker's pipe, so the test binds them with UnsafeAccessor.
    /// </summary>
    [Theory]
    [InlineData("2095d3000000d92053797301d2009090909090909090909090909090900002d9496e76616174205461736b2829")]
    [InlineData("0195d30000000080000195d3000000008000057863657053797374736b2829057863657053797374736b2829")]
    [InlineData("009501017294aefe63617265c40391910395020102c0c4")]
    public void Malformed_pool_frames_are_serialization_errors(string hex)
    {
        byte[] input = Convert.FromHexString(hex);
        Assert.Throws<MessagePackSerializationException>(() =>
        {
            var reader = new MessagePackReader(input.AsMemory(1));
            _ = input[0] % 2 == 0
                ? ReadRequests(NewRequestFormatter(), ref reader, PlexusSerializer.Options)
                : ReadResponse(NewResponseFormatter(), ref reader, PlexusSerializer.Options);
        });
    }

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(RequestFormatter)]
    private static extern object NewRequestFormatter();

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Deserialize")]
    [return: UnsafeAccessorType("Plexus.Processes.PoolRequestBatch, Plexus.Processes")]
    private static extern object ReadRequests([UnsafeAccessorType(RequestFormatter)] object formatter, ref MessagePackReader reader, MessagePackSerializerOptions options);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    [return: UnsafeAccessorType(ResponseFormatter)]
    private static extern object NewResponseFormatter();

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Deserialize")]
    [return: UnsafeAccessorType("Plexus.Processes.PoolResponse, Plexus.Processes")]
    private static extern object ReadResponse([UnsafeAccessorType(ResponseFormatter)] object formatter, ref MessagePackReader reader, MessagePackSerializerOptions options);

    /// <summary>
    /// Object-typed payloads whose values no Plexus writer makes: before the fix the serializer's object
    /// reader let an <see cref="OverflowException"/> or <see cref="ArgumentException"/> of its own reads
    /// escape (inside MessagePack's wrapper); now every layer is a <see cref="MessagePackSerializationException"/>.
    /// </summary>
    [Theory]
    [InlineData("d52ecc80", "extension tag 46 (sbyte) holding 128")]
    [InlineData("d52dff00", "extension tag 45 (byte) holding -1")]
    [InlineData("c70938d37fffffffffffffff", "extension tag 56 (TimeOnly) with ticks past a day")]
    [InlineData("c70537d27fffffff", "extension tag 55 (DateOnly) past DateOnly.MaxValue")]
    [InlineData("c70830000000d27fffffff", "extension tag 48 (decimal) with invalid flags")]
    [InlineData("d5330001", "extension tag 51 (DateTimeOffset) with an offset of one tick")]
    [InlineData("dbffffffff", "a str32 announcing a negative length")]
    [InlineData("c6ffffffff", "a bin32 announcing a negative length")]
    [InlineData("91c6ffffffff", "the same inside an array")]
    public void Malformed_object_values_are_serialization_errors_at_every_layer(string hex, string what)
    {
        var e = Assert.ThrowsAny<Exception>(() => PlexusSerializer.Deserialize<object?>(Convert.FromHexString(hex)));
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            Assert.True(x is MessagePackSerializationException, $"{what}: {x.GetType().Name} escaped: {x.Message}");
        }
    }

    /// <summary>A plain integer wider than <c>int</c> (another writer's) reads as the narrowest type that holds it, not an overflow.</summary>
    [Theory]
    [InlineData("d322e1d2d3d3b5e1d2", 0x22e1d2d3d3b5e1d2L)]
    [InlineData("ce80000000", 0x80000000L)]
    [InlineData("d3ffffffff7fffffff", -0x80000001L)]
    [InlineData("d2ffffff85", -123L)]
    public void Wide_plain_integers_read_as_long_or_int(string hex, long expected)
    {
        object? value = PlexusSerializer.Deserialize<object?>(Convert.FromHexString(hex));
        Assert.Equal(expected is >= int.MinValue and <= int.MaxValue ? (object)(int)expected : expected, value);
        Assert.Equal(ulong.MaxValue, PlexusSerializer.Deserialize<object?>(Convert.FromHexString("cfffffffffffffffff")));
    }

    /// <summary>
    /// A client that has not answered the challenge announced a 16 MiB answer: the manager allocated it and
    /// waited up to 10 s for the bytes. A handshake frame is now at most 256 bytes; the client is dropped at once.
    /// </summary>
    [Fact]
    public void Manager_drops_an_unauthenticated_client_that_announces_a_huge_answer()
    {
        using var manager = new ProcessManager().Start();
        using Socket s = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(manager.Address));
        ManagerSocket.ReadFrame(s);
        byte[] header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, ProcessManager.MaxMessageBytes);
        s.Send(header);
        s.ReceiveTimeout = 5_000;
        int n;
        try
        {
            n = s.Receive(new byte[64]);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            n = -1;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            n = 0;
        }
        Assert.True(n == 0, "the manager still held the connection 5 s after an unauthenticated 16 MiB announcement");
    }

    /// <summary>A "manager" that announces a 16 MiB challenge: the client waited for it forever; now it is refused at once.</summary>
    [Fact]
    public async Task Client_refuses_a_server_that_announces_a_huge_challenge()
    {
        string path = Path.Combine(Path.GetTempPath(), $"plexus-fake-manager-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            Task<Exception?> connect = Task.Run(() =>
            {
                try
                {
                    ProcessManager.Connect(path, [1, 2, 3]).Dispose();
                    return null;
                }
                catch (Exception e)
                {
                    return e;
                }
            });
            using Socket server = await listener.AcceptAsync();
            byte[] header = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(header, ProcessManager.MaxMessageBytes);
            server.Send(header);
            Assert.True(await Task.WhenAny(connect, Task.Delay(TimeSpan.FromSeconds(5))) == connect, "the client still waited for a 16 MiB challenge after 5 s");
            Assert.IsType<AuthenticationException>(await connect);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
