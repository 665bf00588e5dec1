using BlitzScale.Native.Transport;
using BlitzScale.Native.Transport.Rdma;
using BlitzScale.Native.Transport.Rdma.Verbs;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>The pure parts of the RDMA transport: QP transitions, the connection-info wire format, chunk pairing, the write window, options.</summary>
public sealed class RdmaBookkeepingTests
{
    private static readonly RdmaPortAddress Infiniband = new(1, 0, Lid: 7, Gid: (UInt128)0xfe80 << 112 | 7, IbvMtu.Mtu4096, RdmaLinkLayer.InfiniBand);

    [Fact]
    public void Each_transition_sets_exactly_the_attributes_the_spec_requires_for_an_RC_queue_pair()
    {
        // IBV_QP_STATE | PKEY_INDEX | PORT | ACCESS_FLAGS
        Assert.Equal(0x39, (int)QpTransitions.InitMask);
        // IBV_QP_STATE | AV | PATH_MTU | DEST_QPN | RQ_PSN | MAX_DEST_RD_ATOMIC | MIN_RNR_TIMER
        Assert.Equal(0x129181, (int)QpTransitions.ReadyToReceiveMask);
        // IBV_QP_STATE | TIMEOUT | RETRY_CNT | RNR_RETRY | SQ_PSN | MAX_QP_RD_ATOMIC
        Assert.Equal(0x12E01, (int)QpTransitions.ReadyToSendMask);

        var (init, initMask) = QpTransitions.Init(2, IbvAccess.LocalWrite | IbvAccess.RemoteWrite);
        Assert.Equal((IbvQpState.Init, (byte)2, (ushort)0, IbvAccess.LocalWrite | IbvAccess.RemoteWrite, QpTransitions.InitMask),
            (init.QpState, init.PortNumber, init.PkeyIndex, init.QpAccessFlags, initMask));
        var (rts, _) = QpTransitions.ReadyToSend(0xABCDEF);
        Assert.Equal((IbvQpState.ReadyToSend, 0xABCDEFu, (byte)7, (byte)7, (byte)14), (rts.QpState, rts.SqPsn, rts.RetryCount, rts.RnrRetry, rts.Timeout));
    }

    [Fact]
    public void Ready_to_receive_targets_the_peer_by_LID_on_InfiniBand_and_by_GID_on_RoCE_at_the_smaller_MTU()
    {
        var peer = new RdmaConnectionInfo(0x1234, 0x55, Lid: 9, IbvMtu.Mtu1024, Gid: 0xABCDEF, 0, 0, 0, 0);

        var (ib, _) = QpTransitions.ReadyToReceive(Infiniband, peer);
        var (roce, _) = QpTransitions.ReadyToReceive(Infiniband with { LinkLayer = RdmaLinkLayer.Ethernet, Lid = 0, GidIndex = 3 }, peer with { Lid = 0 });

        Assert.Equal((IbvQpState.ReadyToReceive, 0x1234u, 0x55u, IbvMtu.Mtu1024), (ib.QpState, ib.DestQpNumber, ib.RqPsn, ib.PathMtu));
        Assert.Equal(((ushort)9, (byte)0, (byte)1), (ib.AddressVector.DestinationLid, ib.AddressVector.IsGlobal, ib.AddressVector.PortNumber));
        Assert.Equal(((byte)1, (byte)3, (UInt128)0xABCDEF), (roce.AddressVector.IsGlobal, roce.AddressVector.Grh.SourceGidIndex, roce.AddressVector.Grh.DestinationGid.Value));
        Assert.Equal(QpTransitions.MinRnrTimer, roce.MinRnrTimer);
    }

    [Fact]
    public void Connection_info_reads_back_what_was_written_and_a_bad_one_is_refused_with_the_reason()
    {
        var info = new RdmaConnectionInfo(0xABCDEF, 0x123456, 0xBEEF, IbvMtu.Mtu2048, UInt128.MaxValue - 5, 0x7f00_dead_0000, 1L << 33, 4096, 0xCAFEF00D);
        var bytes = new byte[RdmaConnectionInfo.Bytes];
        info.Write(bytes);

        Assert.Equal(info, RdmaConnectionInfo.Read(bytes, out string? none));
        Assert.Null(none);
        Assert.Equal((byte)'B', bytes[0]);

        var tooWide = info with { QpNumber = 1u << 24 };
        tooWide.Write(bytes);
        Assert.Null(RdmaConnectionInfo.Read(bytes, out string? wide));
        Assert.Contains("24 bits", wide);
        (info with { Mtu = (IbvMtu)9 }).Write(bytes);
        Assert.Null(RdmaConnectionInfo.Read(bytes, out string? mtu));
        Assert.Contains("MTU code 9", mtu);
        bytes[0] = 0;
        Assert.Null(RdmaConnectionInfo.Read(bytes, out string? magic));
        Assert.Contains("not RDMA connection info", magic);
    }

    [Fact]
    public void The_ledger_pairs_bytes_and_header_in_either_order_and_hands_out_each_chunk_once()
    {
        var plan = Plan();
        var ledger = new ChunkLedger(plan);

        Assert.Equal(LedgerEvent.Waiting, ledger.Placed(0));
        Assert.Equal(LedgerEvent.Waiting, ledger.Announced(Header(1, 0x11)));
        Assert.False(ledger.TryTakeReady(out _, out _));
        Assert.Equal(LedgerEvent.Ready, ledger.Announced(Header(0, 0x10)));
        Assert.Equal(LedgerEvent.Ready, ledger.Placed(1));

        Assert.True(ledger.TryTakeReady(out var first, out var firstHeader));
        Assert.True(ledger.TryTakeReady(out var second, out var secondHeader));
        Assert.False(ledger.TryTakeReady(out _, out _));
        Assert.Equal((plan.Get(plan.FirstBlob, 0), Header(0, 0x10)), (first, firstHeader));
        Assert.Equal((1, Header(1, 0x11)), (plan.IndexOf(second), secondHeader));
    }

    [Fact]
    public void The_ledger_expects_a_refetched_chunk_again_and_reports_strays_instead_of_accepting_them()
    {
        var plan = Plan();
        var ledger = new ChunkLedger(plan);
        ledger.Placed(2);
        ledger.Announced(Header(2, 0x22));
        Assert.True(ledger.TryTakeReady(out var chunk, out _));

        Assert.Equal(LedgerEvent.Duplicate, ledger.Placed(2));
        ledger.Refetching(plan.IndexOf(chunk));
        Assert.Equal(LedgerEvent.Waiting, ledger.Announced(Header(2, 0x23)));
        Assert.Equal(LedgerEvent.Duplicate, ledger.Announced(Header(2, 0x24)));
        Assert.Equal(LedgerEvent.Ready, ledger.Placed(2));
        Assert.True(ledger.TryTakeReady(out _, out var refetched));
        Assert.Equal(Header(2, 0x23), refetched);
        ledger.Landed(2);

        Assert.Equal(LedgerEvent.Duplicate, ledger.Placed(2));
        Assert.Equal(LedgerEvent.Unknown, ledger.Placed((uint)plan.Count));
        Assert.Equal(LedgerEvent.Unknown, ledger.Announced(Header(-1, 0)));
        Assert.Throws<InvalidOperationException>(() => ledger.Landed(2));
    }

    [Fact]
    public void The_write_window_admits_depth_writes_and_refuses_a_completion_nothing_asked_for()
    {
        var window = new WriteWindow(2);
        Assert.True(window.IsEmpty);
        window.Posted();
        window.Posted();
        Assert.True(window.IsFull);
        Assert.Throws<InvalidOperationException>(window.Posted);
        Assert.True(window.Completed());
        Assert.False(window.IsFull);
        Assert.True(window.Completed());
        Assert.False(window.Completed());
        Assert.Throws<ArgumentOutOfRangeException>(() => new WriteWindow(0));
    }

    [Fact]
    public void Option_defaults_are_pinned_and_out_of_range_values_are_refused_by_name()
    {
        var server = new RdmaServerOptions();
        var client = new RdmaTransportOptions();
        Assert.Equal((null, 1, 0, 16, TimeSpan.FromSeconds(10), true), (server.Device, server.Port, server.GidIndex, server.SendDepth, server.AuthenticationTimeout, server.AuthenticateChunks));
        Assert.Equal((null, 1, 0, 64, TimeSpan.FromSeconds(10)), (client.Device, client.Port, client.GidIndex, client.ReceiveDepth, client.ConnectTimeout));
        Assert.Equal((true, TimeSpan.FromSeconds(60)), (client.RequireChunkAuthentication, client.IdleTimeout));

        Assert.Equal("Port", Assert.Throws<ArgumentOutOfRangeException>(() => new RdmaServerOptions { Port = 0 }.Validate()).ParamName);
        Assert.Equal("SendDepth", Assert.Throws<ArgumentOutOfRangeException>(() => new RdmaServerOptions { SendDepth = 0 }.Validate()).ParamName);
        Assert.Equal("ReceiveDepth", Assert.Throws<ArgumentOutOfRangeException>(() => new RdmaTransportOptions { ReceiveDepth = 0 }.Validate()).ParamName);
        Assert.Equal("GidIndex", Assert.Throws<ArgumentOutOfRangeException>(() => new RdmaTransportOptions { GidIndex = 256 }.Validate()).ParamName);
        Assert.Equal("IdleTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new RdmaTransportOptions { IdleTimeout = TimeSpan.Zero }.Validate()).ParamName);
    }

    [Fact]
    public void A_header_is_authentic_only_under_its_own_number_with_the_bytes_that_landed_whatever_order_chunks_are_checked_in()
    {
        var plan = Plan();
        var key = new byte[32];
        new Random(41).NextBytes(key);
        var chunks = new[] { plan.Get(1, 0), plan.Get(1, 1) };
        var bytes = chunks.Select((c, i) => { var b = new byte[c.Length]; new Random(42 + i).NextBytes(b); return b; }).ToArray();
        var headers = new ChunkAnnouncement[2];
        using (var sender = new ChunkMac(key))
        {
            var wire = new byte[WireFormat.HeaderBytes];
            var tag = new byte[ChunkMac.TagBytes];
            for (int i = 0; i < 2; i++)
            {
                ulong hash = ChunkHash.Of(bytes[i]);
                new ReplyHeader(ReplyKind.Chunk, chunks[i].Blob, chunks[i].Length, chunks[i].OffsetInBlob, hash).Write(wire);
                sender.Sign(wire, bytes[i], tag);
                headers[i] = new ChunkAnnouncement(plan.IndexOf(chunks[i]), hash, (ulong)i, System.Runtime.InteropServices.MemoryMarshal.Read<UInt128>(tag));
            }
        }
        using var receiver = new ChunkMac(key);
        var scratch = new byte[WireFormat.HeaderBytes];

        // The second write completed first: each is checked under its own header's number.
        Assert.True(headers[1].Authentic(receiver, chunks[1], bytes[1], scratch));
        Assert.True(headers[0].Authentic(receiver, chunks[0], bytes[0], scratch));
        Assert.False((headers[0] with { Number = 1 }).Authentic(receiver, chunks[0], bytes[0], scratch));
        Assert.False(headers[0].Authentic(receiver, chunks[1], bytes[1], scratch));
        bytes[0][7] ^= 1;
        Assert.False(headers[0].Authentic(receiver, chunks[0], bytes[0], scratch));
        Assert.True(headers[0].Authentic(null, chunks[0], bytes[0], scratch));
    }

    /// <summary>A side-channel header of the chunk with this index, numbered as its index, with no tag.</summary>
    private static ChunkAnnouncement Header(int index, ulong hash) => new(index, hash, (ulong)Math.Max(index, 0), default);

    /// <summary>Blobs 1..3 of the tiny image at the smallest chunk: several chunks per blob.</summary>
    private static ChunkPlan Plan() => new(Layout(), 1, 3, SmallChunk);
}
