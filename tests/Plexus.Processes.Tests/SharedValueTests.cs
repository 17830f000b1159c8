namespace Plexus.Processes.Tests;

public class SharedValueTests
{
    private const int Workers = 8;
    private const int Increments = 10_000;

    [Fact]
    public void Eight_processes_increment_under_a_lock_to_exactly_80000()
    {
        using var value = new ProcessValue<int>(0, synchronized: false);
        using var l = new ProcessLock();
        RunAll(value, l, locked: true);
        Assert.Equal(Workers * Increments, value.Value);
    }

    [Fact]
    public void Without_the_lock_the_same_increments_race()
    {
        // A race can, rarely, lose nothing; a few attempts make "the lock matters" a reliable statement.
        int last = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using var value = new ProcessValue<int>(0, synchronized: false);
            using var l = new ProcessLock();
            RunAll(value, l, locked: false);
            last = value.Value;
            if (last < Workers * Increments)
            {
                break;
            }
        }
        Assert.True(last < Workers * Increments, $"no increment was lost in 3 attempts ({last})");
        Assert.True(last > 0);
    }

    private static void RunAll(ProcessValue<int> value, ProcessLock l, bool locked)
    {
        Children.RunAll(Workers, _ => ChildProcess.Create(Increment, value, l, locked).Start());
    }

    private static void Increment(ProcessValue<int> value, ProcessLock l, bool locked)
    {
        for (int i = 0; i < Increments; i++)
        {
            if (locked)
            {
                l.Acquire();
            }
            int read = value.Value;
            Thread.SpinWait(20);  // widen the read-modify-write window so the unlocked race shows
            value.Value = read + 1;
            if (locked)
            {
                l.Release();
            }
        }
    }

    [Fact]
    public void Array_and_value_written_by_a_child_are_seen_by_the_parent()
    {
        using var array = new ProcessArray<double>(new double[] { 1, 2, 3, 4 });
        using var value = new ProcessValue<long>(5);
        using ChildProcess child = ChildProcess.Create(Square, array, value).Start();
        Assert.True(child.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(new double[] { 1, 4, 9, 16 }, array.ToArray());
        Assert.Equal(25L, value.Value);
        Assert.Throws<ArgumentOutOfRangeException>(() => array[4]);
    }

    private static void Square(ProcessArray<double> array, ProcessValue<long> value)
    {
        using (array.Lock.Acquire())
        {
            for (int i = 0; i < array.Length; i++)
            {
                array[i] *= array[i];
            }
        }
        using (value.Lock.Acquire())
        {
            value.Value *= value.Value;
        }
    }
}
