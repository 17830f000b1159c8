using Plexus.Processes;

namespace Plexus.Samples;

/// <summary>Seed S3: info() in the parent and in a child; the child's parent process is the parent's process id.</summary>
internal static class S03
{
    public static int Run(string[] args)
    {
        Info("main process line:");
        using ChildProcess child = ChildProcess.Create(F, "bob").Start();
        child.Join();
        return child.ExitCode ?? 1;
    }

    private static void Info(string title)
    {
        Console.WriteLine(title);
        Console.WriteLine($"process name: {ProcessInfo.Name}");
        Console.WriteLine($"parent process: {ProcessInfo.ParentPid}");
        Console.WriteLine($"process id: {ProcessInfo.Pid}");
    }

    private static void F(string name)
    {
        Info("called from child process function f:");
        Console.WriteLine($"hello {name}");
    }
}
