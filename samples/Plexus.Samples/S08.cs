using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>Seed S8: a duplex pipe; the child sends twice and receives once, then both ends close.</summary>
internal static class S08
{
    public static int Run(string[] args)
    {
        Console.WriteLine("create a pipe: two objects, one for each end");
        (Connection pipe1, Connection pipe2) = ProcessPipe.Create();
        Console.WriteLine($"pipe1 fd = {pipe1.Fd}, pipe2 fd = {pipe2.Fd}");
        Console.WriteLine("start a child that sends and receives on pipe2");
        using ChildProcess child = ChildProcess.Create(F, pipe2).Start();
        Console.WriteLine($"parent received from child: {Show.Py(pipe1.Receive())}");
        Console.WriteLine($"parent received from child: {Show.Py(pipe1.Receive())}");
        pipe1.Send(new Dictionary<object, object?> { ["num"] = 20, ["data"] = null, ["msg"] = "hello from pipe1" });
        Console.WriteLine($"parent's pipe fd = {pipe1.Fd}");
        Console.WriteLine("parent closes pipe1");
        child.Join();
        pipe1.Close();
        return child.ExitCode ?? 1;
    }

    private static void F(Connection conn)
    {
        Console.WriteLine($"child's pipe fd = {conn.Fd}");
        Console.WriteLine("child sends on pipe2");
        conn.Send(new object?[] { 11, null, "hello from pipe2" });
        conn.Send(new object?[] { 22, null, "hello from pipe2" });
        Console.WriteLine($"child received from parent pipe1: {Show.Py(conn.Receive())}");
        Console.WriteLine("child closes pipe2");
        conn.Close();
    }
}
