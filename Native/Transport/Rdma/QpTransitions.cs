using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// The attributes and masks that move a reliable-connected queue pair RESET → INIT → RTR → RTS. Each mask lists
/// exactly the attributes the InfiniBand spec requires for that transition on an RC QP (a missing or extra one makes
/// <c>ibv_modify_qp</c> fail with EINVAL).
/// </summary>
internal static class QpTransitions
{
    public const IbvQpAttrMask InitMask = IbvQpAttrMask.State | IbvQpAttrMask.PkeyIndex | IbvQpAttrMask.Port | IbvQpAttrMask.AccessFlags;

    public const IbvQpAttrMask ReadyToReceiveMask = IbvQpAttrMask.State | IbvQpAttrMask.AddressVector | IbvQpAttrMask.PathMtu
        | IbvQpAttrMask.DestQpNumber | IbvQpAttrMask.RqPsn | IbvQpAttrMask.MaxDestRdAtomic | IbvQpAttrMask.MinRnrTimer;

    public const IbvQpAttrMask ReadyToSendMask = IbvQpAttrMask.State | IbvQpAttrMask.Timeout | IbvQpAttrMask.RetryCount
        | IbvQpAttrMask.RnrRetry | IbvQpAttrMask.SqPsn | IbvQpAttrMask.MaxQpRdAtomic;

    /// <summary>Receiver-not-ready wait the responder asks for: code 12 = 0.64 ms.</summary>
    public const byte MinRnrTimer = 12;
    /// <summary>Local ACK timeout: 4.096 µs × 2^14 ≈ 67 ms before a packet is retransmitted.</summary>
    public const byte AckTimeout = 14;
    /// <summary>Transport retries before the QP fails (the maximum).</summary>
    public const byte RetryCount = 7;
    /// <summary>7 means retry a receiver-not-ready NAK forever: a receiver slow to repost receives slows the sender, never fails it.</summary>
    public const byte RnrRetryForever = 7;
    /// <summary>Hop limit of the global route header (RoCE, routed InfiniBand).</summary>
    public const byte HopLimit = 64;

    public static (IbvQpAttr Attributes, IbvQpAttrMask Mask) Init(byte port, IbvAccess access) =>
        (new IbvQpAttr { QpState = IbvQpState.Init, PkeyIndex = 0, PortNumber = port, QpAccessFlags = access }, InitMask);

    /// <summary>
    /// RTR towards <paramref name="remote"/>: its QP number and starting PSN, the smaller MTU of the two ports, and its
    /// address: LID on InfiniBand; on RoCE (or when the peer has no LID) its GID, through a global route header from
    /// our GID at <see cref="RdmaPortAddress.GidIndex"/>.
    /// </summary>
    public static (IbvQpAttr Attributes, IbvQpAttrMask Mask) ReadyToReceive(RdmaPortAddress local, RdmaConnectionInfo remote)
    {
        bool global = local.LinkLayer == RdmaLinkLayer.Ethernet || remote.Lid == 0;
        var attributes = new IbvQpAttr
        {
            QpState = IbvQpState.ReadyToReceive,
            PathMtu = (IbvMtu)Math.Min((int)local.Mtu, (int)remote.Mtu),
            DestQpNumber = remote.QpNumber,
            RqPsn = remote.Psn,
            MaxDestRdAtomic = 1,
            MinRnrTimer = MinRnrTimer,
            AddressVector = new IbvAhAttr
            {
                DestinationLid = remote.Lid,
                ServiceLevel = 0,
                SourcePathBits = 0,
                PortNumber = local.Port,
                IsGlobal = global ? (byte)1 : (byte)0,
                Grh = global
                    ? new IbvGlobalRoute { DestinationGid = new IbvGid { Value = remote.Gid }, SourceGidIndex = (byte)local.GidIndex, HopLimit = HopLimit }
                    : default,
            },
        };
        return (attributes, ReadyToReceiveMask);
    }

    /// <summary>RTS: our sends start at <paramref name="localPsn"/> (what the peer's RTR expects).</summary>
    public static (IbvQpAttr Attributes, IbvQpAttrMask Mask) ReadyToSend(uint localPsn) =>
        (new IbvQpAttr
        {
            QpState = IbvQpState.ReadyToSend,
            Timeout = AckTimeout,
            RetryCount = RetryCount,
            RnrRetry = RnrRetryForever,
            SqPsn = localPsn,
            MaxRdAtomic = 1,
        }, ReadyToSendMask);
}
