using System.Text;
using MessagePack;
using Plexus.Processes.Serialization;

namespace Plexus.Processes.Tests;

public record SecretRecordName(int Number, string Text);

public class SerializationTests
{
    private static T RoundTrip<T>(T value) => PlexusSerializer.Deserialize<T>(PlexusSerializer.Serialize(value));

    [Fact]
    public void Mixed_object_array_keeps_exact_element_types()
    {
        object?[] back = RoundTrip<object?[]>([11, null, "hello"]);
        Assert.Equal(3, back.Length);
        Assert.IsType<int>(back[0]);
        Assert.Equal(11, back[0]);
        Assert.Null(back[1]);
        Assert.IsType<string>(back[2]);
        Assert.Equal("hello", back[2]);
    }

    [Fact]
    public void Dictionary_keys_keep_exact_types()
    {
        var dict = new Dictionary<object, object?> { [1] = "int", ["2"] = "string", [0.25] = "double" };
        var back = Assert.IsType<Dictionary<object, object?>>(RoundTrip<object?>(dict));
        Assert.Equal(3, back.Count);
        Assert.Equal("int", back[1]);
        Assert.Equal("string", back["2"]);
        Assert.Equal("double", back[0.25]);
        Assert.Contains(back.Keys, k => k is int);
        Assert.Contains(back.Keys, k => k is string);
        Assert.Contains(back.Keys, k => k is double);
    }

    public static TheoryData<object> Primitives() => new()
    {
        123456789012L, (short)-12, (byte)200, 4000000000u, ulong.MaxValue, 'Z', 12.5m,
        Guid.NewGuid(), new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc),
        new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)), TimeSpan.FromMinutes(90),
    };

    [Theory]
    [MemberData(nameof(Primitives))]
    public void Primitives_under_object_keep_their_types(object value)
    {
        object? back = RoundTrip<object?>(value);
        Assert.NotNull(back);
        Assert.Equal(value.GetType(), back!.GetType());
        Assert.Equal(value, back);
    }

    [Fact]
    public void Nested_lists_and_dictionaries_round_trip()
    {
        var value = new List<object?>
        {
            new List<object?> { 1, "two", new List<object?> { 3.0 } },
            new Dictionary<object, object?> { ["k"] = new List<object?> { true, null } },
        };
        var back = Assert.IsType<List<object?>>(RoundTrip<object?>(value));
        var first = Assert.IsType<List<object?>>(back[0]);
        Assert.Equal(1, first[0]);
        Assert.Equal("two", first[1]);
        Assert.Equal(3.0, Assert.IsType<List<object?>>(first[2])[0]);
        var dict = Assert.IsType<Dictionary<object, object?>>(back[1]);
        Assert.Equal(new List<object?> { true, null }, dict["k"]);
    }

    [Fact]
    public void Records_and_pocos_round_trip_by_declared_type()
    {
        var record = new Point(3, "three");
        Assert.Equal(record, RoundTrip(record));
        var poco = new Poco { Id = 4, Name = "four", Values = [7, 8] };
        Poco back = RoundTrip(poco);
        Assert.Equal(4, back.Id);
        Assert.Equal("four", back.Name);
        Assert.Equal([7, 8], back.Values);
    }

    [Fact]
    public void A_poco_under_object_is_refused_clearly()
    {
        Exception e = Assert.ThrowsAny<Exception>(() => PlexusSerializer.Serialize<object?>(new Poco { Id = 1 }));
        string all = e.ToString();
        Assert.Contains(nameof(Poco), all, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_contains_no_type_names()
    {
        byte[] bytes = PlexusSerializer.Serialize(new SecretRecordName(1, "x"));
        string text = Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain(nameof(SecretRecordName), text, StringComparison.Ordinal);
        Assert.DoesNotContain("Plexus", text, StringComparison.Ordinal);
        Assert.Equal(new SecretRecordName(1, "x"), PlexusSerializer.Deserialize<SecretRecordName>(bytes));
    }

    [Fact]
    public void Malformed_payload_throws_MessagePackSerializationException()
    {
        byte[] good = PlexusSerializer.Serialize(new SecretRecordName(1, "some text"));
        Assert.Throws<MessagePackSerializationException>(() => PlexusSerializer.Deserialize<SecretRecordName>(good.AsMemory(0, good.Length - 3)));
        Assert.Throws<MessagePackSerializationException>(() => PlexusSerializer.Deserialize<object?>(new byte[] { 0xc1 }));
        Assert.Throws<MessagePackSerializationException>(() => PlexusSerializer.Deserialize<int>(new byte[] { 0xa3, (byte)'a' }));
    }

    [Fact]
    public void Refused_types_are_explained()
    {
        Assert.NotNull(PlexusSerializer.WhyNotSerializable(typeof(Thread)));
        Assert.NotNull(PlexusSerializer.WhyNotSerializable(typeof(Action)));
        Assert.Null(PlexusSerializer.WhyNotSerializable(typeof(Point)));
        Assert.ThrowsAny<Exception>(() => PlexusSerializer.Serialize(new Thread(() => { })));
    }
}
