namespace Plexus.Native.Tests;

public sealed unsafe class MemoryFileTests
{
    [Fact]
    public void Two_mappings_of_one_file_see_each_others_writes()
    {
        int fd = MemoryFile.Create("plexus-test", 4096, sealSize: false);
        byte* first = null, second = null;
        try
        {
            Assert.True(FdInfo.IsCloseOnExec(fd));
            Assert.Equal(4096, MemoryFile.Size(fd));
            first = (byte*)MemoryFile.Map(fd, 4096);
            second = (byte*)MemoryFile.Map(fd, 4096);
            Assert.True(first != second);
            Assert.Equal(0, second[4095]);
            first[4095] = 0x5A;
            Assert.Equal(0x5A, second[4095]);
        }
        finally
        {
            if (first != null)
            {
                MemoryFile.Unmap(first, 4096);
            }
            if (second != null)
            {
                MemoryFile.Unmap(second, 4096);
            }
            Descriptors.Close(fd);
        }
    }

    [Fact]
    public void A_sealed_file_refuses_to_grow_and_an_unsealed_one_grows()
    {
        int sealedFd = MemoryFile.Create("plexus-sealed", 8192, sealSize: true);
        int openFd = MemoryFile.Create("plexus-unsealed", 8192, sealSize: false);
        try
        {
            Assert.True(MemoryFile.IsSizeSealed(sealedFd));
            Assert.False(MemoryFile.IsSizeSealed(openFd));
            // Size() leaves the file offset at the end, so the next write would extend the file.
            Assert.Equal(8192, MemoryFile.Size(sealedFd));
            Assert.Equal(-Errnos.EPERM, Descriptors.WriteSome(sealedFd, "x"u8));
            Assert.Equal(8192, MemoryFile.Size(sealedFd));
            Assert.Equal(8192, MemoryFile.Size(openFd));
            Assert.Equal(1, Descriptors.WriteSome(openFd, "x"u8));
            Assert.Equal(8193, MemoryFile.Size(openFd));
        }
        finally
        {
            Descriptors.Close(sealedFd);
            Descriptors.Close(openFd);
        }
    }

    [Fact]
    public void A_socket_is_not_a_sealed_memory_file_and_has_no_size()
    {
        (int a, int b) = SocketPair.Create(nonBlocking: false);
        try
        {
            Assert.False(MemoryFile.IsSizeSealed(a));
            var e = Assert.Throws<ErrnoException>(() => MemoryFile.Size(a));
            Assert.Equal(Errnos.ESPIPE, e.Errno);
        }
        finally
        {
            Descriptors.Close(a);
            Descriptors.Close(b);
        }
    }
}
