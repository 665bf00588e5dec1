using System.Security.Cryptography;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>
/// A reliable-connected queue pair with one completion queue for both directions, created in INIT. The data-path
/// calls go through the provider's function pointers (<see cref="VerbsOps"/>), read once here; work requests are built
/// on the stack, so posting and polling allocate nothing.
/// </summary>
internal sealed unsafe class VerbsQueuePair : IRdmaQueuePair
{
    private const int PollBatch = 16;

    private readonly string _nic;
    private readonly RdmaPortAddress _port;
    private readonly delegate* unmanaged<nint, int, IbvWc*, int> _pollCq;
    private readonly delegate* unmanaged<nint, IbvSendWr*, IbvSendWr**, int> _postSend;
    private readonly delegate* unmanaged<nint, IbvRecvWr*, IbvRecvWr**, int> _postRecv;
    private nint _qp;
    private nint _cq;

    private VerbsQueuePair(string nic, RdmaPortAddress port, nint cq, nint qp)
    {
        _nic = nic;
        _port = port;
        _cq = cq;
        _qp = qp;
        Number = *(uint*)(qp + IbvLayout.QpNumber);
        InitialPsn = (uint)RandomNumberGenerator.GetInt32(1 << 24);
        _pollCq = VerbsOps.PollCq(cq);
        _postSend = VerbsOps.PostSend(qp);
        _postRecv = VerbsOps.PostRecv(qp);
    }

    public uint Number { get; }
    public uint InitialPsn { get; }

    public static VerbsQueuePair Create(VerbsNic nic, int sendDepth, int receiveDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sendDepth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(receiveDepth);
        nint cq = VerbsError.NotNull(IbvNative.ibv_create_cq(nic.Context, sendDepth + receiveDepth, 0, 0, 0), $"ibv_create_cq({nic.Name})");
        nint qp = 0;
        try
        {
            var init = new IbvQpInitAttr
            {
                SendCq = cq,
                RecvCq = cq,
                Capabilities = new IbvQpCap { MaxSendWr = (uint)sendDepth, MaxRecvWr = (uint)receiveDepth, MaxSendSge = 1, MaxRecvSge = 1 },
                QpType = IbvQpType.ReliableConnected,
                SignalAllSends = 0,
            };
            qp = VerbsError.NotNull(IbvNative.ibv_create_qp(nic.ProtectionDomain, &init), $"ibv_create_qp({nic.Name})");
            var queuePair = new VerbsQueuePair(nic.Name, nic.Address, cq, qp);
            var (attributes, mask) = QpTransitions.Init(nic.Address.Port, IbvAccess.LocalWrite | IbvAccess.RemoteWrite);
            queuePair.Modify(attributes, mask, "INIT");
            return queuePair;
        }
        catch
        {
            if (qp != 0) IbvNative.ibv_destroy_qp(qp);
            IbvNative.ibv_destroy_cq(cq);
            throw;
        }
    }

    /// <summary>
    /// Wraps a completion queue and queue pair made elsewhere, in any state; for tests that drive the data path
    /// through a hand-made ops table. Never dispose such a wrapper: the objects are not libibverbs'.
    /// </summary>
    internal static VerbsQueuePair Attach(string nic, RdmaPortAddress port, nint cq, nint qp) => new(nic, port, cq, qp);

    public void Connect(RdmaConnectionInfo remote)
    {
        var (rtr, rtrMask) = QpTransitions.ReadyToReceive(_port, remote);
        Modify(rtr, rtrMask, "RTR");
        var (rts, rtsMask) = QpTransitions.ReadyToSend(InitialPsn);
        Modify(rts, rtsMask, "RTS");
    }

    public void PostWriteWithImmediate(ulong workRequestId, nint localAddress, int length, uint localKey, ulong remoteAddress, uint remoteKey, uint immediate)
    {
        var sge = new IbvSge { Address = (ulong)localAddress, Length = (uint)length, LocalKey = localKey };
        var wr = new IbvSendWr
        {
            WorkRequestId = workRequestId,
            ScatterGatherList = &sge,
            ScatterGatherCount = 1,
            Opcode = IbvWrOpcode.RdmaWriteWithImmediate,
            SendFlags = IbvSendFlags.Signaled,
            ImmediateData = VerbsOps.ToNetworkOrder(immediate),
            RdmaRemoteAddress = remoteAddress,
            RdmaRemoteKey = remoteKey,
        };
        IbvSendWr* bad = null;
        VerbsError.Check(_postSend(Live(_qp), &wr, &bad), "ibv_post_send(RDMA WRITE WITH IMM)");
    }

    public void PostReceive(ulong workRequestId)
    {
        // Zero scatter/gather entries: a write with immediate places its bytes by address, the receive only carries the immediate.
        var wr = new IbvRecvWr { WorkRequestId = workRequestId, ScatterGatherCount = 0 };
        IbvRecvWr* bad = null;
        VerbsError.Check(_postRecv(Live(_qp), &wr, &bad), "ibv_post_recv");
    }

    public int Poll(Span<RdmaCompletion> completions)
    {
        var wc = stackalloc IbvWc[PollBatch];
        int n = _pollCq(Live(_cq), Math.Min(PollBatch, completions.Length), wc);
        if (n < 0) throw VerbsError.Failed("ibv_poll_cq", -n);
        for (int i = 0; i < n; i++)
        {
            var kind = wc[i].Status != IbvWcStatus.Success ? RdmaCompletionKind.Other : wc[i].Opcode switch
            {
                IbvWcOpcode.RdmaWrite => RdmaCompletionKind.WriteSent,
                IbvWcOpcode.ReceiveRdmaWithImmediate => RdmaCompletionKind.WriteReceived,
                _ => RdmaCompletionKind.Other,
            };
            uint immediate = (wc[i].Flags & IbvWcFlags.WithImmediate) != 0 ? VerbsOps.ToNetworkOrder(wc[i].ImmediateData) : 0;
            completions[i] = new RdmaCompletion(wc[i].WorkRequestId, kind, wc[i].Status, immediate);
        }
        return n;
    }

    private void Modify(IbvQpAttr attributes, IbvQpAttrMask mask, string state) =>
        VerbsError.Check(IbvNative.ibv_modify_qp(Live(_qp), &attributes, mask), $"ibv_modify_qp(→{state}, mask 0x{(int)mask:x})");

    private nint Live(nint handle) => handle != 0 ? handle : throw new ObjectDisposedException($"queue pair {Number} on {_nic}");

    /// <summary>Destroying the QP stops the NIC touching the memory its work requests named; only then may that memory go.</summary>
    public void Dispose()
    {
        if (_qp == 0) return;
        IbvNative.ibv_destroy_qp(_qp);
        IbvNative.ibv_destroy_cq(_cq);
        _qp = 0;
        _cq = 0;
    }
}
