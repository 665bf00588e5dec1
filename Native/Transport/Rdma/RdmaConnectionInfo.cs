using System.Buffers.Binary;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Transport.Rdma;

/// <summary>
/// What each side of a transfer tells the other over the side channel to connect their queue pairs, and (from the
/// receiver) where the sender may write: 64 bytes, little-endian except the GID, which is sent as its raw bytes.
/// </summary>
/// <remarks>
/// <code>
///  0        4        8        12    14    15    16                32               40               48               56       60
///  +--------+--------+--------+-----+-----+-----+----------------+----------------+----------------+----------------+--------+--------+
///  | "BLZI" | QPN    | PSN    | LID | MTU | 0   | GID (raw)      | region address | region length  | region offset  | rkey   | 0      |
///  | u32    | u32    | u32    | u16 | u8  | u8  | 16 bytes       | u64            | u64            | i64            | u32    | u32    |
///  +--------+--------+--------+-----+-----+-----+----------------+----------------+----------------+----------------+--------+--------+
///  region: the receiver's registered target memory, which starts at byte "region offset" of its image; the
///  sender writes image byte x at region address + (x − region offset). A sender leaves the region fields 0.
/// </code>
/// </remarks>
internal readonly record struct RdmaConnectionInfo(
    uint QpNumber,
    uint Psn,
    ushort Lid,
    IbvMtu Mtu,
    UInt128 Gid,
    ulong RegionAddress,
    ulong RegionLength,
    long RegionImageOffset,
    uint RemoteKey)
{
    public const int Bytes = 64;
    public const uint Magic = 'B' | 'L' << 8 | 'Z' << 16 | (uint)'I' << 24;

    /// <summary>The queue pair numbers and packet sequence numbers are 24-bit on the wire of the fabric.</summary>
    public const uint Max24Bit = (1u << 24) - 1;

    public static RdmaConnectionInfo Of(IRdmaQueuePair queuePair, RdmaPortAddress port, IRdmaRegion? target = null, long targetImageOffset = 0) =>
        new(queuePair.Number, queuePair.InitialPsn, port.Lid, port.Mtu, port.Gid,
            target is null ? 0 : (ulong)target.Address, target is null ? 0 : (ulong)target.Length, targetImageOffset, target?.RemoteKey ?? 0);

    public void Write(Span<byte> bytes)
    {
        bytes[..Bytes].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], QpNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], Psn);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[12..], Lid);
        bytes[14] = (byte)Mtu;
        BinaryPrimitives.WriteUInt128BigEndian(bytes[16..], Gid);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[32..], RegionAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[40..], RegionLength);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[48..], RegionImageOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[56..], RemoteKey);
    }

    /// <summary>Parses connection info; null when the magic is wrong or a field is out of range (the reason in <paramref name="problem"/>).</summary>
    public static RdmaConnectionInfo? Read(ReadOnlySpan<byte> bytes, out string? problem)
    {
        problem = null;
        if (bytes.Length < Bytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            problem = "it is not RDMA connection info";
            return null;
        }
        var info = new RdmaConnectionInfo(
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes[12..]),
            (IbvMtu)bytes[14],
            BinaryPrimitives.ReadUInt128BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[48..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[56..]));
        if (info.QpNumber > Max24Bit || info.Psn > Max24Bit)
            problem = $"queue pair {info.QpNumber} or packet sequence number {info.Psn} does not fit 24 bits";
        else if (info.Mtu is < IbvMtu.Mtu256 or > IbvMtu.Mtu4096)
            problem = $"path MTU code {(int)info.Mtu} is not one of 1..5 (256..4096 bytes)";
        else if (info.RegionImageOffset < 0)
            problem = $"region offset {info.RegionImageOffset} is negative";
        return problem is null ? info : null;
    }
}
