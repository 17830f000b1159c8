using System.Diagnostics;

namespace Plexus.Processes.Tests;

/// <summary>A registered type whose results can be made as big as a test needs.</summary>
public sealed class BlobMaker
{
    private byte _fill;

    public byte[] Make(int size)
    {
        byte[] blob = new byte[size];
        blob.AsSpan().Fill(_fill++);
        return blob;
    }
}

/// <summary>Calls and replies over the manager's message limit fail alone; the connection goes on.</summary>
public sealed class ManagerMessageSizeTests
{
    private const int Big = 20 << 20;
    private const int Half = 9 << 20;

    private static void AssertNamesSizeAndLimit(ManagerMessageTooLargeException e)
    {
        Assert.Contains(ProcessManager.MaxMessageBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Contains("MiB", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_value_over_the_limit_fails_its_call_and_the_connection_goes_on(bool tcp)
    {
        ProcessManager manager = new ProcessManager(useTcp: tcp).Start();
        try
        {
            ManagedDictionary d = manager.CreateDictionary();
            ManagedList other = manager.CreateList();
            d["small"] = new byte[10 << 20]; // under the limit: works
            ManagerMessageTooLargeException e = Assert.Throws<ManagerMessageTooLargeException>(() => d["big"] = new byte[Big]);
            AssertNamesSizeAndLimit(e);
            Assert.Contains("20,9", e.Message, StringComparison.Ordinal); // the call's own size
            Assert.Throws<ManagerMessageTooLargeException>(() => { _ = d.SetAsync("big", new byte[Big]); });
            Assert.Throws<ManagerMessageTooLargeException>(() => manager.CreateList([new byte[Big]]));

            d["after"] = 1;
            Assert.Equal(1, d["after"]);
            Assert.False(d.ContainsKey("big"));
            other.Add("x");
            Assert.Single(other);
            Assert.Empty(manager.CreateDictionary());
            Assert.Equal(tcp ? false : true, d.Client.HasChannel);
        }
        finally
        {
            Stopwatch watch = Stopwatch.StartNew();
            manager.Dispose();
            // Shutdown waits 5 s for the manager to stop on its own before killing it: a live connection asks it to.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Dispose took {watch.Elapsed}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_reply_over_the_limit_fails_its_call_and_the_connection_goes_on(bool tcp)
    {
        using ProcessManager manager = new ProcessManager(useTcp: tcp).Register<BlobMaker>("BlobMaker").Start();
        // Another connection stores two values that fit one by one; together they do not.
        using (ProcessManager writer = ProcessManager.Connect(manager.Address, manager.AuthKey))
        {
            ManagedDictionary shared = writer.GetOrCreateDictionary("shared");
            shared["a"] = new byte[Half];
            shared["b"] = new byte[Half];
            ManagedList list = writer.GetOrCreateList("shared");
            list.Add(new byte[Half]);
            list.Add(new byte[Half]);
        }
        ManagedDictionary d = manager.GetOrCreateDictionary("shared");
        ManagedList l = manager.GetOrCreateList("shared");
        AssertNamesSizeAndLimit(Assert.Throws<ManagerMessageTooLargeException>(d.Items));
        Assert.Throws<ManagerMessageTooLargeException>(d.Values);
        Assert.Throws<ManagerMessageTooLargeException>(() => d.GetMany(["a", "b"]));
        Assert.Throws<ManagerMessageTooLargeException>(l.ToList);
        ManagedObject maker = manager.Create("BlobMaker");
        Assert.Throws<ManagerMessageTooLargeException>(() => maker.Invoke<byte[]>("Make", Big));
        Assert.Throws<ManagerMessageTooLargeException>(() => maker.InvokeAsync("Make", Big).GetAwaiter().GetResult()); // pipelined

        // The same connection, its proxies and new ones go on.
        Assert.Equal(Half, ((byte[])d["a"]!).Length);
        Assert.Equal(Half, ((byte[])l[1]!).Length);
        Assert.Equal(2, d.Count);
        Assert.Empty(manager.CreateList());
        Assert.Equal(!tcp, d.Client.HasChannel);
    }
}
