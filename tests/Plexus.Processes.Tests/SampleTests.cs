using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Plexus.Processes.Tests;

[Collection(RunAlone.Name)]
public class SampleTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    [Fact]
    public void S01_prints_six_hello_world_lines_side_by_side()
    {
        var clock = Stopwatch.StartNew();
        (_, string output) = SampleRunner.Run("s01", s_long);
        clock.Stop();
        string[] lines = SampleRunner.Lines(output);
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Equal("hello world", l));
        // Six 2 s sleeps run one after another would take 12 s; the bound is deliberately loose.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
    }

    [Fact]
    public void S02_each_hello_is_followed_by_a_thread_id()
    {
        string[] lines = SampleRunner.Lines(SampleRunner.Run("s02", s_long).Output);
        Assert.Equal(12, lines.Length);
        int hellos = 0, ids = 0;
        foreach (string line in lines)
        {
            if (line == "hello world") hellos++;
            else
            {
                Assert.Matches("^[0-9]+$", line);
                ids++;
                // Children run side by side, so lines interleave, but a thread id never precedes its hello.
                Assert.True(ids <= hellos, string.Join('\n', lines));
            }
        }
        Assert.Equal(6, hellos);
        Assert.Equal(6, ids);
    }

    [Fact]
    public void S03_child_parent_pid_is_the_parent_pid()
    {
        string output = SampleRunner.Run("s03", s_long).Output;
        MatchCollection ids = Regex.Matches(output, "process id: ([0-9]+)");
        MatchCollection parents = Regex.Matches(output, "parent process: ([0-9]+)");
        Assert.Equal(2, ids.Count);
        Assert.Equal(2, parents.Count);
        Assert.Equal(ids[0].Groups[1].Value, parents[1].Groups[1].Value);
        Assert.NotEqual(ids[0].Groups[1].Value, ids[1].Groups[1].Value);
        Assert.Contains("hello bob", output, StringComparison.Ordinal);
    }

    [Fact]
    public void S04_threads_share_a_queue_children_each_fill_their_own_and_a_ProcessQueue_is_shared()
    {
        string[] lines = SampleRunner.Lines(SampleRunner.Run("s04", s_long).Output);
        Assert.Equal(3, lines.Count(l => l == "main thread got [42, None, 'hello']"));
        Assert.Equal(3, lines.Count(l => Regex.IsMatch(l, "^child [0-9]+: its own queue holds 1 item$")));
        Assert.Contains("parent's queue holds 0 items: each child put into its own copy", lines);
        string[] senders = lines.Select(l => Regex.Match(l, @"^parent got \[42, None, 'hello from ([0-9]+)'\]$"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(3, senders.Distinct().Count());
    }

    [Fact]
    public void S05_child_sees_the_static_unset()
    {
        string output = SampleRunner.Run("s05", s_long).Output;
        Assert.Contains("child: the list is null", output, StringComparison.Ordinal);
        Assert.Contains("parent: the list is set", output, StringComparison.Ordinal);
    }

    [Fact]
    public void S06_names_the_argument_and_its_type()
    {
        string output = SampleRunner.Run("s06", s_long).Output;
        Assert.Contains("ArgumentException", output, StringComparison.Ordinal);
        Assert.Contains("data", output, StringComparison.Ordinal);
        Assert.Contains("BlockingCollection", output, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", output, StringComparison.Ordinal);
    }

    [Fact]
    public void S08_messages_arrive_in_seed_order()
    {
        string[] lines = SampleRunner.Lines(SampleRunner.Run("s08", s_long).Output);
        string[] parent = lines.Where(l => l.StartsWith("parent received from child:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, parent.Length);
        Assert.EndsWith("[11, None, 'hello from pipe2']", parent[0], StringComparison.Ordinal);
        Assert.EndsWith("[22, None, 'hello from pipe2']", parent[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l == "child received from parent pipe1: {'num': 20, 'data': None, 'msg': 'hello from pipe1'}");
    }
}
