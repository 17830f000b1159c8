using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Fuzz;

/// <summary>
/// Writes the seed inputs of every target (<c>Plexus.Fuzz --seed DIR</c> writes <c>DIR/TARGET/corpus</c>):
/// well-formed messages made by Plexus's own encoders, so the fuzzer starts from what real peers send.
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string root)
    {
        Dictionary<string, List<byte[]>> seeds = new()
        {
            ["serializer"] = Serializer(),
            ["connection"] = Connection(),
            ["manager"] = Manager(),
            ["handshake"] = Handshake(),
            ["pool"] = Pool(),
            ["queue"] = Queue(),
            ["lab-load"] = LabLoad(),
        };
        foreach ((string target, List<byte[]> inputs) in seeds)
        {
            string folder = Path.Combine(root, target, "corpus");
            Directory.CreateDirectory(folder);
            for (int i = 0; i < inputs.Count; i++)
            {
                File.WriteAllBytes(Path.Combine(folder, $"seed-{i:D2}"), inputs[i]);
            }
        }
    }

    private static readonly object?[] s_objects =
    [
        null, 42, "text", true, 1.5, 2.5f, new byte[] { 1, 2, 3 }, 1L << 40, 7u, ulong.MaxValue, (short)-3, (ushort)3,
        (byte)9, (sbyte)-9, 'c', (Half)1.5, 12.34m, Guid.Empty, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), TimeSpan.FromSeconds(3), new DateOnly(2026, 1, 2),
        new TimeOnly(3, 4), new object?[] { 1, "a", null }, new Dictionary<object, object?> { ["k"] = 1, [2] = "v" },
        new List<object?> { 1, 2L, "x" },
    ];

    private static FuzzRecord Record() => new(7, "name", new object?[] { 1, "two" }, new FuzzPoint(1, 2), FuzzColor.Blue,
        [1, 2, 3], ["a", "b"], new() { ["x"] = 1.5 }, [new FuzzPoint(3, 4)], new DateTime(2026, 1, 1), 9.99m);

    private static List<byte[]> Serializer()
    {
        List<byte[]> seeds = [.. s_objects.Select(o => Selected(0, PlexusSerializer.Serialize<object?>(o)))];
        seeds.Add(Selected(1, PlexusSerializer.Serialize<object?[]>([1, "x", new object?[] { 2.0 }])));
        seeds.Add(Selected(2, PlexusSerializer.Serialize(Record())));
        seeds.Add(Selected(3, PlexusSerializer.Serialize(new Dictionary<string, object?> { ["a"] = 1, ["b"] = new object?[] { "c" } })));
        seeds.Add(Selected(4, PlexusSerializer.Serialize(new List<FuzzPoint> { new(1, 2), new(3, 4) })));
        seeds.Add(Selected(5, PlexusSerializer.Serialize((1, "one"))));
        seeds.Add(Selected(6, PlexusSerializer.Serialize(FuzzColor.Green)));
        return seeds;
    }

    private static List<byte[]> Connection()
    {
        byte[] objects = [.. s_objects.Take(12).SelectMany(o => Frame(PlexusSerializer.Serialize<object?>(o)))];
        byte[] records = [.. Frame(PlexusSerializer.Serialize(Record())), .. Frame(PlexusSerializer.Serialize(Record()))];
        byte[] bytes = [.. Frame([1, 2, 3]), .. Frame(new byte[100]), .. Frame([])];
        return [Selected(0, objects), Selected(1, bytes), Selected(2, bytes), Selected(3, records), Selected(4, objects)];
    }

    private static List<byte[]> Manager()
    {
        object?[] marker = ["\u0001plexus-proxy", "dict", 1];
        object?[][] calls =
        [
            [1, 0, "create", new object?[] { "dict", null, new Dictionary<object, object?> { ["a"] = 1 } }],
            [2, 1, "set", new object?[] { "b", 2 }],
            [3, 1, "get", new object?[] { "a" }],
            [4, 1, "items", Array.Empty<object?>()],
            [5, 0, "create", new object?[] { "list", "shared", new object?[] { 1, 2, 3 } }],
            [6, 2, "insert", new object?[] { 1, "x" }],
            [7, 2, "removeat", new object?[] { 0 }],
            [8, 0, "create", new object?[] { "queue", null }],
            [9, 3, "put", new object?[] { "item" }],
            [10, 3, "get", new object?[] { true, 1.0 }],
            [11, 0, "create", new object?[] { "lock", null }],
            [12, 4, "acquire", new object?[] { true, -1.0 }],
            [13, 4, "release", Array.Empty<object?>()],
            [14, 0, "create", new object?[] { "value", null, 5 }],
            [15, 5, "increment", new object?[] { 2 }],
            [16, 1, "set", new object?[] { "self", marker }],
            [17, 0, "ping", Array.Empty<object?>()],
            [18, 3, "cancel", new object?[] { 10 }],
            [19, 0, "shutdown", Array.Empty<object?>()],
        ];
        byte[] all = [.. calls.SelectMany(c => Frame(PlexusSerializer.Serialize<object?>(c)))];
        byte[] first = [.. calls.Take(4).SelectMany(c => Frame(PlexusSerializer.Serialize<object?>(c)))];
        return [[0, .. all], [7, .. all], [63, .. first]];
    }

    private static List<byte[]> Handshake()
    {
        byte[] answer = HMACSHA256.HashData("fuzz-key"u8, new byte[32]);
        return
        [
            [0, .. Frame(answer)],
            [1, .. Frame(new byte[32]), .. Frame("#WELCOME"u8.ToArray())],
            [3, .. Frame(new byte[32]), .. Frame("#FAILURE"u8.ToArray())],
        ];
    }

    private static List<byte[]> Pool()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(2);
        w.WriteArrayHeader(5);
        w.Write(1L);
        w.Write(1);
        w.Write((byte)0);
        w.WriteArrayHeader(4);
        w.Write("Plexus.Samples");
        w.Write(Guid.NewGuid().ToByteArray());
        w.Write(0x06000001);
        w.Write("Program.Square");
        w.Write(PlexusSerializer.Serialize<object?[]>([new object?[] { 3 }]));
        w.WriteArrayHeader(5);
        w.Write(2L);
        w.Write(1);
        w.Write((byte)2);
        w.WriteNil();
        w.Write(new byte[] { 1, 0, 0, 0, 2, 0, 0, 0 });
        w.Flush();
        byte[] requests = buffer.WrittenSpan.ToArray();
        byte[] result = MessagePackSerializer.Serialize<object?[]>([1L, 0, PlexusSerializer.Serialize<object?[]>([9])]);
        byte[] error = MessagePackSerializer.Serialize<object?[]>([1L, 2, "System.InvalidOperationException", "boom", "  at Task()"]);
        byte[] ready = MessagePackSerializer.Serialize<object?[]>([0L, 3]);
        return [[0, .. requests], [0, 0x90], [1, .. result], [1, .. error], [1, .. ready]];
    }

    private static List<byte[]> Queue()
    {
        List<byte[]> seeds = [];
        foreach ((byte type, byte[][] items) in new[]
        {
            ((byte)0, s_objects.Take(8).Select(o => PlexusSerializer.Serialize<object?>(o)).ToArray()),
            ((byte)1, new[] { PlexusSerializer.Serialize(new byte[] { 1, 2, 3 }), PlexusSerializer.Serialize(new byte[300]) }),
            ((byte)2, new[] { PlexusSerializer.Serialize(Record()) }),
        })
        {
            var ring = new List<byte>();
            foreach (byte[] item in items)
            {
                byte[] length = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(length, item.Length);
                ring.AddRange(length);
                ring.AddRange(item);
                while (ring.Count % 4 != 0)
                {
                    ring.Add(0);
                }
            }
            seeds.Add([0, 0, type, .. ring]);
            seeds.Add([0xF0, 0x03, type, .. ring]);  // the records wrap around the ring's end
        }
        return seeds;
    }

    private static List<byte[]> LabLoad()
    {
        const string One = """{"Connections":10,"Connected":10,"ConnectSeconds":0.1,"Seconds":2,"RoundTrips":1000,"Bytes":64000,"Refused":0,"Reset":0,"Timeout":0,"Mismatch":0,"Other":0,"Latency":[[100,900],[2000,100]]}""";
        const string Two = """{"Connections":5,"Connected":4,"ConnectSeconds":0.3,"Seconds":2.1,"RoundTrips":10,"Bytes":640,"Refused":1,"Reset":0,"Timeout":0,"Mismatch":0,"Other":0,"Latency":[]}""";
        return [Encoding.UTF8.GetBytes(One), [.. Encoding.UTF8.GetBytes(One), 0xFF, .. Encoding.UTF8.GetBytes(Two)]];
    }

    private static byte[] Selected(byte selector, byte[] payload) => [selector, .. payload];

    private static byte[] Frame(byte[] payload)
    {
        byte[] frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }
}
