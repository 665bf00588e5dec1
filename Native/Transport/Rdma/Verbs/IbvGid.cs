using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary>
/// <c>union ibv_gid</c> (16 bytes, 8-aligned): the port's global address, raw bytes in network order (an IPv6
/// address, or an IPv4-mapped one under RoCE v2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal unsafe struct IbvGid
{
    [FieldOffset(0)] public fixed byte Raw[16];
    // The union's other member, struct { __be64 subnet_prefix; __be64 interface_id; }: it gives the union its alignment.
    [FieldOffset(0)] public ulong SubnetPrefix;
    [FieldOffset(8)] public ulong InterfaceId;

    /// <summary>The 16 bytes read as one big-endian number, the form connection info carries.</summary>
    public UInt128 Value
    {
        readonly get
        {
            fixed (byte* raw = Raw) return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(new ReadOnlySpan<byte>(raw, 16));
        }
        set
        {
            fixed (byte* raw = Raw) System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(new Span<byte>(raw, 16), value);
        }
    }
}
