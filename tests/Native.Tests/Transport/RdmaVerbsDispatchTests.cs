using System.Runtime.InteropServices;
using BlitzScale.Native.Transport.Rdma;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The inline verbs (post_send, post_recv, poll_cq) as <see cref="VerbsQueuePair"/> calls them: through function
/// pointers read from the context's ops table. Here the context, CQ and QP are hand-made native memory laid out as
/// verbs.h lays them out, and the ops are C#-implemented unmanaged functions that record what a provider would get,
/// so the work requests built and the completions read are checked without a NIC.
/// </summary>
public sealed unsafe class RdmaVerbsDispatchTests : IDisposable
{
    private static IbvSendWr s_sent;
    private static IbvSge s_sentSge;
    private static IbvRecvWr s_received;
    private static int s_postResult;

    private readonly nint _context = (nint)NativeMemory.AllocZeroed(512);
    private readonly nint _cq = (nint)NativeMemory.AllocZeroed(64);
    private readonly nint _qp = (nint)NativeMemory.AllocZeroed(160);
    private readonly VerbsQueuePair _queuePair;

    public RdmaVerbsDispatchTests()
    {
        *(nint*)(_context + IbvLayout.OpsPollCq) = (nint)(delegate* unmanaged<nint, int, IbvWc*, int>)&PollCq;
        *(nint*)(_context + IbvLayout.OpsPostSend) = (nint)(delegate* unmanaged<nint, IbvSendWr*, IbvSendWr**, int>)&PostSend;
        *(nint*)(_context + IbvLayout.OpsPostRecv) = (nint)(delegate* unmanaged<nint, IbvRecvWr*, IbvRecvWr**, int>)&PostRecv;
        *(nint*)(_cq + IbvLayout.CqContext) = _context;
        *(nint*)(_qp + IbvLayout.QpContext) = _context;
        *(uint*)(_qp + IbvLayout.QpNumber) = 0x00BEEF;
        s_postResult = 0;
        _queuePair = VerbsQueuePair.Attach("fake0 port 1", new RdmaPortAddress(1, 0, 1, 0, IbvMtu.Mtu4096, RdmaLinkLayer.InfiniBand), _cq, _qp);
    }

    public void Dispose()
    {
        NativeMemory.Free((void*)_qp);
        NativeMemory.Free((void*)_cq);
        NativeMemory.Free((void*)_context);
    }

    [Fact]
    public void The_queue_pair_number_is_read_from_the_qp_struct()
    {
        Assert.Equal(0x00BEEFu, _queuePair.Number);
        Assert.True(_queuePair.InitialPsn <= RdmaConnectionInfo.Max24Bit);
    }

    [Fact]
    public void A_write_with_immediate_reaches_post_send_as_one_signaled_work_request_with_the_immediate_in_network_order()
    {
        _queuePair.PostWriteWithImmediate(42, 0x1000, 65536, localKey: 0x11, remoteAddress: 0x7f00_0000_2000, remoteKey: 0x22, immediate: 0x0102);

        Assert.Equal((42ul, IbvWrOpcode.RdmaWriteWithImmediate, IbvSendFlags.Signaled, 1), (s_sent.WorkRequestId, s_sent.Opcode, s_sent.SendFlags, s_sent.ScatterGatherCount));
        Assert.Equal(0x02010000u, s_sent.ImmediateData);
        Assert.Equal((0x7f00_0000_2000ul, 0x22u), (s_sent.RdmaRemoteAddress, s_sent.RdmaRemoteKey));
        Assert.Equal((0x1000ul, 65536u, 0x11u), (s_sentSge.Address, s_sentSge.Length, s_sentSge.LocalKey));
    }

    [Fact]
    public void A_receive_reaches_post_recv_with_no_scatter_gather_entries()
    {
        _queuePair.PostReceive(7);

        Assert.Equal((7ul, 0), (s_received.WorkRequestId, s_received.ScatterGatherCount));
    }

    [Fact]
    public void Poll_maps_completions_to_kinds_and_host_order_immediates_and_a_failed_one_to_its_status()
    {
        var completions = new RdmaCompletion[8];

        int n = _queuePair.Poll(completions);

        Assert.Equal(3, n);
        Assert.Equal(new RdmaCompletion(5, RdmaCompletionKind.WriteSent, IbvWcStatus.Success, 0), completions[0]);
        Assert.Equal(new RdmaCompletion(6, RdmaCompletionKind.WriteReceived, IbvWcStatus.Success, 0x0102), completions[1]);
        Assert.Equal(new RdmaCompletion(9, RdmaCompletionKind.Other, IbvWcStatus.WorkRequestFlushed, 0), completions[2]);
    }

    [Fact]
    public void A_provider_refusing_a_post_is_an_RdmaException_naming_the_verb_and_errno()
    {
        s_postResult = 12;

        var error = Assert.Throws<RdmaException>(() => _queuePair.PostWriteWithImmediate(1, 0x1000, 1, 1, 0x2000, 2, 3));

        Assert.Equal(12, error.Errno);
        Assert.StartsWith("ibv_post_send(RDMA WRITE WITH IMM) failed: ", error.Message);
        Assert.EndsWith("(errno 12)", error.Message);
    }

    [UnmanagedCallersOnly]
    private static int PostSend(nint qp, IbvSendWr* wr, IbvSendWr** bad)
    {
        s_sent = *wr;
        s_sentSge = *wr->ScatterGatherList;
        return s_postResult;
    }

    [UnmanagedCallersOnly]
    private static int PostRecv(nint qp, IbvRecvWr* wr, IbvRecvWr** bad)
    {
        s_received = *wr;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int PollCq(nint cq, int entries, IbvWc* wc)
    {
        if (entries < 3) return -22;
        wc[0] = new IbvWc { WorkRequestId = 5, Status = IbvWcStatus.Success, Opcode = IbvWcOpcode.RdmaWrite };
        wc[1] = new IbvWc
        {
            WorkRequestId = 6,
            Status = IbvWcStatus.Success,
            Opcode = IbvWcOpcode.ReceiveRdmaWithImmediate,
            Flags = IbvWcFlags.WithImmediate,
            ImmediateData = 0x02010000,
        };
        // A failed completion reports only its id and status; the opcode is garbage.
        wc[2] = new IbvWc { WorkRequestId = 9, Status = IbvWcStatus.WorkRequestFlushed, Opcode = (IbvWcOpcode)0x7777 };
        return 3;
    }
}
