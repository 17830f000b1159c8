using CsCheck;

namespace Plexus.Processes.Tests.Properties;

/// <summary>
/// A manager's dictionary against a <see cref="Dictionary{TKey, TValue}"/> model: random sequences of set,
/// get, remove, contains, increment, update, clear and reads of the whole; every answer and the final
/// content agree, value types included (an <c>int</c> stays an <c>int</c> while an increment fits).
/// </summary>
public sealed class ManagerDictionaryProperties : IDisposable
{
    private static readonly Gen<(int Kind, int Key, int Value)> s_operation =
        Gen.Select(Gen.Int[0, 8], Gen.Int[0, 5], Gen.OneOf(Gen.Int[-3, 3], Gen.Const(int.MaxValue), Gen.Const(int.MinValue)));

    private readonly ProcessManager _manager = new ProcessManager().Start();

    public void Dispose() => _manager.Dispose();

    [Fact]
    public void Dictionary_agrees_with_a_model()
    {
        s_operation.Array[1, 30].Sample(Run, iter: 60, threads: 1);
    }

    private void Run((int Kind, int Key, int Value)[] operations)
    {
        ManagedDictionary actual = _manager.CreateDictionary();
        var model = new Dictionary<object, object?>();
        foreach ((int kind, int k, int value) in operations)
        {
            string key = "k" + k;
            switch (kind)
            {
                case 0:
                    actual[key] = value;
                    model[key] = value;
                    break;
                case 1:
                    if (model.TryGetValue(key, out object? expected))
                    {
                        Assert.Equal(expected, actual[key]);
                    }
                    else
                    {
                        Assert.Throws<KeyNotFoundException>(() => actual[key]);
                    }
                    break;
                case 2:
                    Assert.Equal(model.Remove(key), actual.Remove(key));
                    break;
                case 3:
                    Assert.Equal(model.ContainsKey(key), actual.ContainsKey(key));
                    break;
                case 4:
                    Assert.Equal(Increment(model, key, value), actual.Increment(key, value));
                    break;
                case 5:
                    var entries = new Dictionary<object, object?> { [key] = value, ["k" + ((k + 1) % 6)] = null };
                    actual.Update(entries);
                    foreach ((object ek, object? ev) in entries)
                    {
                        model[ek] = ev;
                    }
                    break;
                case 6:
                    Assert.Equal(model.GetValueOrDefault(key, "none"), actual.GetOrDefault(key, "none"));
                    break;
                case 7:
                    actual.Clear();
                    model.Clear();
                    break;
                default:
                    Assert.Equal(model.Count, actual.Count);
                    break;
            }
        }
        Assert.Equal(model.OrderBy(e => (string)e.Key), actual.Items().OrderBy(e => (string)e.Key));
        Assert.Equal(model.Keys.Order(), actual.Keys().Cast<object>().Order());
    }

    /// <summary>The model of the manager's increment: a missing or null value counts as 0; an int stays an int while it fits.</summary>
    private static long Increment(Dictionary<object, object?> model, string key, long delta)
    {
        model.TryGetValue(key, out object? old);
        long now = old switch { int i => i, long l => l, _ => 0 } + delta;
        model[key] = old is int && now is >= int.MinValue and <= int.MaxValue ? (int)now : now;
        return now;
    }
}
