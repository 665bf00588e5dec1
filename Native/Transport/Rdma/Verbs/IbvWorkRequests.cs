using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary><c>struct ibv_sge</c> (16 bytes): one scatter/gather element, a range of a registered region.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvSge
{
    public ulong Address;
    public uint Length;
    public uint LocalKey;
}

/// <summary>
/// <c>struct ibv_send_wr</c> (128 bytes on x86-64). Only the RDMA member of the <c>wr</c> union is declared; the
/// others (atomic, UD), <c>qp_type</c> (offset 72) and the bind-MW/TSO union (offset 80) are covered by the size.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct IbvSendWr
{
    [FieldOffset(0)] public ulong WorkRequestId;
    [FieldOffset(8)] public IbvSendWr* Next;
    [FieldOffset(16)] public IbvSge* ScatterGatherList;
    [FieldOffset(24)] public int ScatterGatherCount;
    [FieldOffset(28)] public IbvWrOpcode Opcode;
    [FieldOffset(32)] public IbvSendFlags SendFlags;
    /// <summary><c>imm_data</c>, big-endian (<c>__be32</c>); shares its slot with <c>invalidate_rkey</c>.</summary>
    [FieldOffset(36)] public uint ImmediateData;
    [FieldOffset(40)] public ulong RdmaRemoteAddress;
    [FieldOffset(48)] public uint RdmaRemoteKey;
}

/// <summary><c>struct ibv_recv_wr</c> (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IbvRecvWr
{
    public ulong WorkRequestId;
    public IbvRecvWr* Next;
    public IbvSge* ScatterGatherList;
    public int ScatterGatherCount;
}

/// <summary><c>struct ibv_wc</c> (48 bytes): one work completion.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvWc
{
    public ulong WorkRequestId;
    public IbvWcStatus Status;
    public IbvWcOpcode Opcode;
    public uint VendorError;
    public uint ByteLength;
    /// <summary><c>imm_data</c>, big-endian (<c>__be32</c>), valid when <see cref="Flags"/> has <see cref="IbvWcFlags.WithImmediate"/>.</summary>
    public uint ImmediateData;
    public uint QpNumber;
    public uint SourceQp;
    public IbvWcFlags Flags;
    public ushort PkeyIndex;
    public ushort SourceLid;
    public byte ServiceLevel;
    public byte DlidPathBits;
}
