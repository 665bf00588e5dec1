using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BlitzScale.Native.Transport.Rdma.Verbs;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// The verbs structs against the C layout. Every expected number is <c>sizeof</c>/<c>offsetof</c> of rdma-core's
/// <c>&lt;infiniband/verbs.h&gt;</c> (rdma-core 44, gcc, x86-64), printed by a C program compiled against it; a wrong
/// offset here would make the NIC read a wrong address, so each field the code writes or reads is pinned.
/// </summary>
public sealed class RdmaVerbsLayoutTests
{
    [Fact]
    public void Struct_sizes_equal_the_C_sizes()
    {
        Assert.Equal(16, Size<IbvSge>());
        Assert.Equal(128, Size<IbvSendWr>());
        Assert.Equal(32, Size<IbvRecvWr>());
        Assert.Equal(48, Size<IbvWc>());
        Assert.Equal(52, Size<IbvPortAttr>());
        Assert.Equal(16, Size<IbvGid>());
        Assert.Equal(20, Size<IbvQpCap>());
        Assert.Equal(64, Size<IbvQpInitAttr>());
        Assert.Equal(24, Size<IbvGlobalRoute>());
        Assert.Equal(32, Size<IbvAhAttr>());
        Assert.Equal(144, Size<IbvQpAttr>());
        Assert.Equal(48, Size<IbvMr>());
    }

    [Fact]
    public void Work_request_and_completion_fields_sit_at_the_C_offsets()
    {
        AssertOffsets<IbvSge>((nameof(IbvSge.Address), 0), (nameof(IbvSge.Length), 8), (nameof(IbvSge.LocalKey), 12));
        AssertOffsets<IbvSendWr>(
            (nameof(IbvSendWr.WorkRequestId), 0), (nameof(IbvSendWr.Next), 8), (nameof(IbvSendWr.ScatterGatherList), 16),
            (nameof(IbvSendWr.ScatterGatherCount), 24), (nameof(IbvSendWr.Opcode), 28), (nameof(IbvSendWr.SendFlags), 32),
            (nameof(IbvSendWr.ImmediateData), 36), (nameof(IbvSendWr.RdmaRemoteAddress), 40), (nameof(IbvSendWr.RdmaRemoteKey), 48));
        AssertOffsets<IbvRecvWr>(
            (nameof(IbvRecvWr.WorkRequestId), 0), (nameof(IbvRecvWr.Next), 8), (nameof(IbvRecvWr.ScatterGatherList), 16),
            (nameof(IbvRecvWr.ScatterGatherCount), 24));
        AssertOffsets<IbvWc>(
            (nameof(IbvWc.WorkRequestId), 0), (nameof(IbvWc.Status), 8), (nameof(IbvWc.Opcode), 12), (nameof(IbvWc.VendorError), 16),
            (nameof(IbvWc.ByteLength), 20), (nameof(IbvWc.ImmediateData), 24), (nameof(IbvWc.QpNumber), 28), (nameof(IbvWc.SourceQp), 32),
            (nameof(IbvWc.Flags), 36), (nameof(IbvWc.PkeyIndex), 40), (nameof(IbvWc.SourceLid), 42), (nameof(IbvWc.ServiceLevel), 44),
            (nameof(IbvWc.DlidPathBits), 45));
    }

    [Fact]
    public void Queue_pair_attribute_fields_sit_at_the_C_offsets()
    {
        AssertOffsets<IbvQpAttr>(
            (nameof(IbvQpAttr.QpState), 0), (nameof(IbvQpAttr.CurrentQpState), 4), (nameof(IbvQpAttr.PathMtu), 8),
            (nameof(IbvQpAttr.PathMigrationState), 12), (nameof(IbvQpAttr.Qkey), 16), (nameof(IbvQpAttr.RqPsn), 20),
            (nameof(IbvQpAttr.SqPsn), 24), (nameof(IbvQpAttr.DestQpNumber), 28), (nameof(IbvQpAttr.QpAccessFlags), 32),
            (nameof(IbvQpAttr.Capabilities), 36), (nameof(IbvQpAttr.AddressVector), 56), (nameof(IbvQpAttr.AlternateAddressVector), 88),
            (nameof(IbvQpAttr.PkeyIndex), 120), (nameof(IbvQpAttr.AlternatePkeyIndex), 122), (nameof(IbvQpAttr.EnableSqdAsyncNotify), 124),
            (nameof(IbvQpAttr.SqDraining), 125), (nameof(IbvQpAttr.MaxRdAtomic), 126), (nameof(IbvQpAttr.MaxDestRdAtomic), 127),
            (nameof(IbvQpAttr.MinRnrTimer), 128), (nameof(IbvQpAttr.PortNumber), 129), (nameof(IbvQpAttr.Timeout), 130),
            (nameof(IbvQpAttr.RetryCount), 131), (nameof(IbvQpAttr.RnrRetry), 132), (nameof(IbvQpAttr.AlternatePortNumber), 133),
            (nameof(IbvQpAttr.AlternateTimeout), 134), (nameof(IbvQpAttr.RateLimit), 136));
        AssertOffsets<IbvAhAttr>(
            (nameof(IbvAhAttr.Grh), 0), (nameof(IbvAhAttr.DestinationLid), 24), (nameof(IbvAhAttr.ServiceLevel), 26),
            (nameof(IbvAhAttr.SourcePathBits), 27), (nameof(IbvAhAttr.StaticRate), 28), (nameof(IbvAhAttr.IsGlobal), 29),
            (nameof(IbvAhAttr.PortNumber), 30));
        AssertOffsets<IbvGlobalRoute>(
            (nameof(IbvGlobalRoute.DestinationGid), 0), (nameof(IbvGlobalRoute.FlowLabel), 16), (nameof(IbvGlobalRoute.SourceGidIndex), 20),
            (nameof(IbvGlobalRoute.HopLimit), 21), (nameof(IbvGlobalRoute.TrafficClass), 22));
        AssertOffsets<IbvQpInitAttr>(
            (nameof(IbvQpInitAttr.QpContext), 0), (nameof(IbvQpInitAttr.SendCq), 8), (nameof(IbvQpInitAttr.RecvCq), 16),
            (nameof(IbvQpInitAttr.SharedReceiveQueue), 24), (nameof(IbvQpInitAttr.Capabilities), 32), (nameof(IbvQpInitAttr.QpType), 52),
            (nameof(IbvQpInitAttr.SignalAllSends), 56));
    }

    [Fact]
    public void Port_and_region_fields_and_the_ops_table_sit_at_the_C_offsets()
    {
        AssertOffsets<IbvPortAttr>(
            (nameof(IbvPortAttr.State), 0), (nameof(IbvPortAttr.MaxMtu), 4), (nameof(IbvPortAttr.ActiveMtu), 8),
            (nameof(IbvPortAttr.GidTableLength), 12), (nameof(IbvPortAttr.PortCapabilityFlags), 16), (nameof(IbvPortAttr.MaxMessageSize), 20),
            (nameof(IbvPortAttr.PkeyTableLength), 32), (nameof(IbvPortAttr.Lid), 34), (nameof(IbvPortAttr.SubnetManagerLid), 36),
            (nameof(IbvPortAttr.Lmc), 38), (nameof(IbvPortAttr.PhysicalState), 45), (nameof(IbvPortAttr.LinkLayer), 46),
            (nameof(IbvPortAttr.Flags), 47), (nameof(IbvPortAttr.PortCapabilityFlags2), 48));
        AssertOffsets<IbvMr>((nameof(IbvMr.Address), 16), (nameof(IbvMr.Length), 24), (nameof(IbvMr.LocalKey), 36), (nameof(IbvMr.RemoteKey), 40));
        AssertOffsets<IbvGid>((nameof(IbvGid.SubnetPrefix), 0), (nameof(IbvGid.InterfaceId), 8));
        // struct ibv_qp.qp_num, and ibv_context.ops.poll_cq / post_send / post_recv.
        Assert.Equal((52, 96, 208, 216), (IbvLayout.QpNumber, IbvLayout.OpsPollCq, IbvLayout.OpsPostSend, IbvLayout.OpsPostRecv));
    }

    [Fact]
    public void Enum_values_equal_the_C_constants()
    {
        Assert.Equal((1, 2, 129), ((int)IbvWrOpcode.RdmaWriteWithImmediate, (int)IbvWrOpcode.Send, (int)IbvWcOpcode.ReceiveRdmaWithImmediate));
        Assert.Equal((1, 2, 2), ((int)IbvWcOpcode.RdmaWrite, (int)IbvSendFlags.Signaled, (int)IbvWcFlags.WithImmediate));
        Assert.Equal((1, 2, 2), ((int)IbvAccess.LocalWrite, (int)IbvAccess.RemoteWrite, (int)IbvQpType.ReliableConnected));
        Assert.Equal((1, 2, 3, 6), ((int)IbvQpState.Init, (int)IbvQpState.ReadyToReceive, (int)IbvQpState.ReadyToSend, (int)IbvQpState.Error));
        Assert.Equal((3, 5), ((int)IbvMtu.Mtu1024, (int)IbvMtu.Mtu4096));
        Assert.Equal((5, 12, 13), ((int)IbvWcStatus.WorkRequestFlushed, (int)IbvWcStatus.TransportRetryExceeded, (int)IbvWcStatus.RnrRetryExceeded));
        Assert.Equal((4, 1, 2), ((int)BlitzScale.Native.Transport.Rdma.RdmaPortState.Active, (int)BlitzScale.Native.Transport.Rdma.RdmaLinkLayer.InfiniBand,
            (int)BlitzScale.Native.Transport.Rdma.RdmaLinkLayer.Ethernet));
    }

    [Fact]
    public void Immediates_go_on_the_wire_in_network_order_and_a_gid_keeps_its_byte_order()
    {
        Assert.Equal(0x04030201u, VerbsOps.ToNetworkOrder(0x01020304));
        Assert.Equal(7u, VerbsOps.ToNetworkOrder(VerbsOps.ToNetworkOrder(7)));

        var gid = new IbvGid { Value = UInt128.Parse("fe800000000000000002c903000a0b0c", System.Globalization.NumberStyles.HexNumber) };
        unsafe
        {
            Assert.Equal(0xfe, gid.Raw[0]);
            Assert.Equal(0x0c, gid.Raw[15]);
        }
        Assert.Equal("fe80::2:c903:a:b0c", BlitzScale.Native.Transport.Rdma.RdmaDevices.FormatGid(gid.Value));
    }

    private static int Size<T>()
        where T : struct
    {
        Assert.Equal(Marshal.SizeOf<T>(), Unsafe.SizeOf<T>());
        return Unsafe.SizeOf<T>();
    }

    private static void AssertOffsets<T>(params (string Field, int Offset)[] fields)
    {
        foreach (var (field, offset) in fields)
            Assert.True(offset == (int)Marshal.OffsetOf<T>(field), $"{typeof(T).Name}.{field} is at {Marshal.OffsetOf<T>(field)}, C has it at {offset}");
    }
}
