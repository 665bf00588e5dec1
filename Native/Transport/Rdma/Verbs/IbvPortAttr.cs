using System.Runtime.InteropServices;

namespace BlitzScale.Native.Transport.Rdma.Verbs;

/// <summary><c>struct ibv_port_attr</c> (52 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IbvPortAttr
{
    public RdmaPortState State;
    public IbvMtu MaxMtu;
    public IbvMtu ActiveMtu;
    public int GidTableLength;
    public uint PortCapabilityFlags;
    public uint MaxMessageSize;
    public uint BadPkeyCounter;
    public uint QkeyViolationCounter;
    public ushort PkeyTableLength;
    public ushort Lid;
    public ushort SubnetManagerLid;
    public byte Lmc;
    public byte MaxVirtualLanes;
    public byte SubnetManagerServiceLevel;
    public byte SubnetTimeout;
    public byte InitTypeReply;
    public byte ActiveWidth;
    public byte ActiveSpeed;
    public byte PhysicalState;
    /// <summary>An <see cref="RdmaLinkLayer"/> value.</summary>
    public byte LinkLayer;
    public byte Flags;
    public ushort PortCapabilityFlags2;
}

