using System.Security.Authentication;
using System.Text.RegularExpressions;
using Plexus.Processes;

namespace Plexus.Lab.Tests;

/// <summary><c>plexus manager</c>: a program whose job is to be the manager (Python's remote-manager recipe).</summary>
public sealed class ManagerCommandTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(60);

    [Fact]
    public void Serves_clients_with_the_key_from_its_key_file_until_SIGTERM()
    {
        string directory = Directory.CreateTempSubdirectory("plexus-manager-test-").FullName;
        try
        {
            string keyFile = Path.Combine(directory, "key");
            using LabProcess manager = LabProcess.Start("manager", "--listen", "tcp://127.0.0.1:0", "--key-file", keyFile);
            Assert.True(manager.WaitForLine(l => l.Contains("serving on", StringComparison.Ordinal), s_long), manager.Output);
            string address = Regex.Match(manager.Stdout.First(l => l.Contains("serving on", StringComparison.Ordinal)), @"tcp://127\.0\.0\.1:[0-9]+").Value;
            Assert.NotEmpty(address);
            // The key was made for it: 32 random bytes, readable by this user only.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            byte[] key = File.ReadAllBytes(keyFile);
            Assert.Equal(32, key.Length);

            using (ProcessManager client = ProcessManager.Connect(address, key))
            {
                ManagedDictionary d = client.GetOrCreateDictionary("shared");
                d["answer"] = 42;
                using ProcessManager other = ProcessManager.Connect(address, key);
                Assert.Equal(42, other.GetOrCreateDictionary("shared").Get<int>("answer"));
            }
            Assert.Throws<AuthenticationException>(() => ProcessManager.Connect(address, "wrong"u8.ToArray()));

            manager.Terminate();
            Assert.Equal(0, manager.WaitForExit(s_long));
            Assert.Equal("plexus manager: stopped", manager.Stdout.Last());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Refuses_a_key_file_other_users_can_read()
    {
        string keyFile = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(keyFile, "secret"u8.ToArray());
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            using LabProcess manager = LabProcess.Start("manager", "--listen", "tcp://127.0.0.1:0", "--key-file", keyFile);
            Assert.Equal(2, manager.WaitForExit(s_long));
            Assert.Contains($"chmod 600 {keyFile}", manager.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }
}
