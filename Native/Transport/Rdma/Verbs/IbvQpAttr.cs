using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary><c>struct ibv_qp_cap</c> (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvQpCap
{
    public uint MaxSendWr;
    public uint MaxRecvWr;
    public uint MaxSendSge;
    public uint MaxRecvSge;
    public uint MaxInlineData;
}

/// <summary><c>struct ibv_global_route</c> (24 bytes): the GRH fields, needed for RoCE and routed InfiniBand.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvGlobalRoute
{
    public IbvGid DestinationGid;
    public uint FlowLabel;
    public byte SourceGidIndex;
    public byte HopLimit;
    public byte TrafficClass;
}

/// <summary><c>struct ibv_ah_attr</c> (32 bytes): the address vector of the remote port.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvAhAttr
{
    public IbvGlobalRoute Grh;
    public ushort DestinationLid;
    public byte ServiceLevel;
    public byte SourcePathBits;
    public byte StaticRate;
    public byte IsGlobal;
    public byte PortNumber;
}

/// <summary><c>struct ibv_qp_attr</c> (144 bytes on x86-64); <see cref="IbvQpAttrMask"/> says which fields a call reads.</summary>
[StructLayout(LayoutKind.Explicit, Size = 144)]
internal struct IbvQpAttr
{
    [FieldOffset(0)] public IbvQpState QpState;
    [FieldOffset(4)] public IbvQpState CurrentQpState;
    [FieldOffset(8)] public IbvMtu PathMtu;
    [FieldOffset(12)] public int PathMigrationState;
    [FieldOffset(16)] public uint Qkey;
    [FieldOffset(20)] public uint RqPsn;
    [FieldOffset(24)] public uint SqPsn;
    [FieldOffset(28)] public uint DestQpNumber;
    [FieldOffset(32)] public IbvAccess QpAccessFlags;
    [FieldOffset(36)] public IbvQpCap Capabilities;
    [FieldOffset(56)] public IbvAhAttr AddressVector;
    [FieldOffset(88)] public IbvAhAttr AlternateAddressVector;
    [FieldOffset(120)] public ushort PkeyIndex;
    [FieldOffset(122)] public ushort AlternatePkeyIndex;
    [FieldOffset(124)] public byte EnableSqdAsyncNotify;
    [FieldOffset(125)] public byte SqDraining;
    [FieldOffset(126)] public byte MaxRdAtomic;
    [FieldOffset(127)] public byte MaxDestRdAtomic;
    [FieldOffset(128)] public byte MinRnrTimer;
    [FieldOffset(129)] public byte PortNumber;
    [FieldOffset(130)] public byte Timeout;
    [FieldOffset(131)] public byte RetryCount;
    [FieldOffset(132)] public byte RnrRetry;
    [FieldOffset(133)] public byte AlternatePortNumber;
    [FieldOffset(134)] public byte AlternateTimeout;
    [FieldOffset(136)] public uint RateLimit;
}

/// <summary><c>struct ibv_qp_init_attr</c> (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvQpInitAttr
{
    public nint QpContext;
    public nint SendCq;
    public nint RecvCq;
    public nint SharedReceiveQueue;
    public IbvQpCap Capabilities;
    public IbvQpType QpType;
    public int SignalAllSends;
}
