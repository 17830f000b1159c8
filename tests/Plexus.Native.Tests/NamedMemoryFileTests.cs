using System.Diagnostics;

namespace Plexus.Native.Tests;

public sealed unsafe class NamedMemoryFileTests
{
    private static string NewName() => $"plexus-test-{Guid.NewGuid():N}";

    [Fact]
    public void A_created_file_is_owner_only_sized_locked_and_seen_by_a_second_open()
    {
        string name = NewName();
        string path = NamedMemoryFile.PathOf(name);
        int owner = NamedMemoryFile.Create(name, 8192);
        int other = -1;
        byte* first = null, second = null;
        try
        {
            Assert.Equal("/dev/shm/" + name, path);
            Assert.True(FdInfo.IsCloseOnExec(owner));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(8192, new FileInfo(path).Length);
            Assert.True(NamedMemoryFile.HasOwner(name));

            other = NamedMemoryFile.Open("/" + name);
            Assert.True(FdInfo.IsCloseOnExec(other));
            Assert.Equal(8192, MemoryFile.Size(other));
            first = (byte*)MemoryFile.Map(owner, 8192);
            second = (byte*)MemoryFile.Map(other, 8192);
            first[8191] = 0x5A;
            Assert.Equal(0x5A, second[8191]);
            // Another open of the file is not an owner: closing it leaves the owner lock in place.
            Descriptors.Close(other);
            other = -1;
            Assert.True(NamedMemoryFile.HasOwner(name));
        }
        finally
        {
            if (first != null)
            {
                MemoryFile.Unmap(first, 8192);
            }
            if (second != null)
            {
                MemoryFile.Unmap(second, 8192);
            }
            if (other != -1)
            {
                Descriptors.Close(other);
            }
            Descriptors.Close(owner);
        }
        // The owner closed without unlinking, as a crashed owner would: the file stays, ownerless.
        Assert.False(NamedMemoryFile.HasOwner(name));
        Assert.True(NamedMemoryFile.Unlink(name));
        Assert.False(File.Exists(path));
        Assert.False(NamedMemoryFile.Unlink(name));
    }

    [Fact]
    public void Creating_a_taken_name_fails_with_EEXIST_and_leaves_the_first_intact()
    {
        string name = NewName();
        int fd = NamedMemoryFile.Create(name, 4096);
        try
        {
            var e = Assert.Throws<ErrnoException>(() => NamedMemoryFile.Create(name, 100));
            Assert.Equal(Errnos.EEXIST, e.Errno);
            Assert.Equal(4096, new FileInfo(NamedMemoryFile.PathOf(name)).Length);
        }
        finally
        {
            Descriptors.Close(fd);
            NamedMemoryFile.Unlink(name);
        }
    }

    [Fact]
    public void Opening_a_missing_name_fails_with_ENOENT()
    {
        var e = Assert.Throws<ErrnoException>(() => NamedMemoryFile.Open(NewName()));
        Assert.Equal(Errnos.ENOENT, e.Errno);
        Assert.Equal(Errnos.ENOENT, Assert.Throws<ErrnoException>(() => NamedMemoryFile.HasOwner(NewName())).Errno);
    }

    [Fact]
    public void Open_refuses_a_symbolic_link_and_does_not_block_on_a_fifo()
    {
        string target = NewName(), link = NewName(), fifo = NewName();
        int fd = NamedMemoryFile.Create(target, 4096);
        try
        {
            File.CreateSymbolicLink(NamedMemoryFile.PathOf(link), NamedMemoryFile.PathOf(target));
            Assert.Throws<ErrnoException>(() => NamedMemoryFile.Open(link));
            using (Process mkfifo = Process.Start("mkfifo", NamedMemoryFile.PathOf(fifo)))
            {
                mkfifo.WaitForExit();
                Assert.Equal(0, mkfifo.ExitCode);
            }
            // Without O_NONBLOCK this open would wait for a writer forever.
            Assert.Equal(Errnos.ESPIPE, Assert.Throws<ErrnoException>(() => NamedMemoryFile.Open(fifo)).Errno);
        }
        finally
        {
            Descriptors.Close(fd);
            NamedMemoryFile.Unlink(target);
            NamedMemoryFile.Unlink(link);
            NamedMemoryFile.Unlink(fifo);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("//a")]
    public void A_name_that_is_not_one_plain_file_name_is_refused(string name)
    {
        Assert.Throws<ArgumentException>(() => NamedMemoryFile.PathOf(name));
        Assert.Throws<ArgumentException>(() => NamedMemoryFile.PathOf(new string('x', 256)));
    }
}
