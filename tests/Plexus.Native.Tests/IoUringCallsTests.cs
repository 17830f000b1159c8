namespace Plexus.Native.Tests;

/// <summary>The raw io_uring calls: set up a ring, map it, submit a no-op, reap its completion.</summary>
public sealed unsafe class IoUringCallsTests
{
    [Fact]
    public void A_no_op_submitted_through_the_mapped_rings_completes_with_its_user_data()
    {
        IoUringParams p = default;
        int ring = IoUringCalls.Setup(4, ref p);
        Assert.True(ring >= 0, $"io_uring_setup returned {ring}");
        Assert.True(FdInfo.IsCloseOnExec(ring));
        void* rings = null, sqes = null;
        nuint ringsSize = Math.Max(p.SqOff.Array + p.SqEntries * sizeof(uint), p.CqOff.Cqes + p.CqEntries * (uint)sizeof(IoUringCqe));
        nuint sqesSize = p.SqEntries * (uint)sizeof(IoUringSqe);
        try
        {
            Assert.NotEqual(0u, p.Features & IoUringCalls.FeatureSingleMmap);
            rings = IoUringCalls.MapRing(ring, ringsSize, IoUringCalls.OffsetSqRing, "rings");
            sqes = IoUringCalls.MapRing(ring, sqesSize, IoUringCalls.OffsetSqes, "entries");
            byte* r = (byte*)rings;
            uint tail = *(uint*)(r + p.SqOff.Tail);
            uint sqMask = *(uint*)(r + p.SqOff.RingMask);
            uint index = tail & sqMask;
            ((IoUringSqe*)sqes)[index] = new IoUringSqe { Opcode = IoUringCalls.OpNop, UserData = 0xFEED };
            ((uint*)(r + p.SqOff.Array))[index] = index;
            Volatile.Write(ref *(uint*)(r + p.SqOff.Tail), tail + 1);

            Assert.Equal(1, IoUringCalls.Enter(ring, 1, 1, IoUringCalls.EnterGetEvents, null, 0));

            uint head = Volatile.Read(ref *(uint*)(r + p.CqOff.Head));
            Assert.Equal(head + 1, Volatile.Read(ref *(uint*)(r + p.CqOff.Tail)));
            IoUringCqe cqe = ((IoUringCqe*)(r + p.CqOff.Cqes))[head & *(uint*)(r + p.CqOff.RingMask)];
            Assert.Equal(0xFEEDUL, cqe.UserData);
            Assert.Equal(0, cqe.Res);
            Volatile.Write(ref *(uint*)(r + p.CqOff.Head), head + 1);
        }
        finally
        {
            if (sqes is not null) IoUringCalls.Unmap(sqes, sqesSize);
            if (rings is not null) IoUringCalls.Unmap(rings, ringsSize);
            Descriptors.Close(ring);
        }
    }

    [Fact]
    public void Calls_on_a_descriptor_that_is_not_a_ring_return_a_negated_errno()
    {
        int notARing = EventFd.Create(nonBlocking: true);
        try
        {
            Assert.True(IoUringCalls.Enter(notARing, 0, 0, 0, null, 0) < 0);
            Assert.True(IoUringCalls.Register(notARing, IoUringCalls.UnregisterPbufRing, null, 1) < 0);
            Assert.Equal(-Errnos.EBADF, IoUringCalls.Enter(-1, 0, 0, 0, null, 0));
        }
        finally
        {
            Descriptors.Close(notARing);
        }
    }

    [Fact]
    public void An_anonymous_mapping_is_zeroed_and_writable()
    {
        const int Size = 4096;
        byte* p = (byte*)IoUringCalls.MapAnonymous(Size, "test buffer ring");
        try
        {
            Assert.Equal(-1, new ReadOnlySpan<byte>(p, Size).IndexOfAnyExcept((byte)0)); // all zero
            p[Size - 1] = 7;
            Assert.Equal(7, p[Size - 1]);
        }
        finally
        {
            IoUringCalls.Unmap(p, Size);
        }
    }
}
