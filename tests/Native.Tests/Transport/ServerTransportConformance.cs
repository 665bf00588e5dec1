using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransferAssertions;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// What a transport with a blob server must do besides <see cref="TransportConformance{THarness}"/>: refuse a wrong
/// secret, an unknown model and a different layout by name, lose its clients cleanly when it dies or retires a model
/// mid-transfer, and fail a whole chain when the chain's head dies; and against hostile peers: authenticate every
/// chunk (a chunk forged with its hash rewritten fails its MAC), refuse a server that sends no MACs, lose a peer that
/// stalls once the idle timeout passes, and report every peer it refuses or cuts.
/// </summary>
public abstract class ServerTransportConformance<THarness> : TransportConformance<THarness>
    where THarness : TransportHarness, new()
{
    [Fact]
    public async Task A_wrong_secret_is_refused_clearly_and_the_server_keeps_serving_others()
    {
        await using var served = ServedImage.Start(Harness, seed: 11);
        var (peer, whole) = (served.Peer, Whole(served.Layout));
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;

        var error = await Assert.ThrowsAsync<PeerRefusedException>(() =>
            Harness.Client(wrong).TransferAsync(peer.Address, whole, new ImageSink(served.Target)).WaitAsync(Bound));
        await Harness.Client().TransferAsync(peer.Address, whole, new ImageSink(served.Target)).WaitAsync(Bound);

        Assert.Equal(peer.Address, error.Peer);
        Assert.Contains($"peer {peer.Address} refused the cluster secret", error.Message);
        Assert.Equal(1, peer.RefusedConnections);
        var rejection = Assert.Single(peer.Rejections);
        Assert.Equal(PeerRejectionKind.Refused, rejection.Kind);
        Assert.Equal("its answer to the challenge does not prove the cluster secret", rejection.Reason);
        AssertIdentical(served.Source, served.Target);
    }

    [Fact]
    public async Task A_chunk_forged_in_flight_with_its_hash_rewritten_fails_its_MAC_is_fetched_again_and_lands()
    {
        await using var served = ServedImage.Start(Harness, seed: 16);
        int sends = 0;
        Harness.ForgeChunk = (blob, offset) => blob == 2 && offset == SmallChunk && Interlocked.Increment(ref sends) == 1;

        var result = await Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound);

        AssertIdentical(served.Source, served.Target);
        Assert.Equal(2, sends);
        Assert.Equal(1, result.RefetchedChunks);
    }

    [Fact]
    public async Task A_chunk_forged_on_every_attempt_fails_the_transfer_naming_its_MAC_though_its_hash_matched()
    {
        await using var served = ServedImage.Start(Harness, seed: 17);
        Harness.ForgeChunk = (blob, offset) => blob == 2 && offset == SmallChunk;

        var error = await Assert.ThrowsAsync<ChunkVerificationException>(() =>
            Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound));

        AssertGaveUpOnBlob2Chunk1(error, served.Peer.Address, served.Target);
        Assert.Contains("its MAC under the session key did not match", error.Message);
        Assert.Matches(@"sent xxhash3 (\w{16}), received \1", error.Message);
    }

    [Fact]
    public async Task A_client_that_requires_chunk_MACs_refuses_a_server_that_sends_none_and_one_that_does_not_fetches()
    {
        Harness.ServersSendChunkMacs = false;
        await using var served = ServedImage.Start(Harness, seed: 18);
        var closed = served.Peer.WhenAllConnectionsClosed();

        var error = await Assert.ThrowsAsync<TransferException>(() =>
            Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound));
        await closed.WaitAsync(Bound);
        Harness.AssertNothingLeftBehind();
        Harness.ClientsRequireChunkMacs = false;
        await Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound);

        Assert.Contains($"peer {served.Peer.Address} does not authenticate its chunks", error.Message);
        AssertIdentical(served.Source, served.Target);
    }

    [Fact]
    public async Task A_peer_that_proved_the_secret_then_sends_nothing_is_a_lost_source_once_the_idle_timeout_passes()
    {
        Harness.ClientIdleTimeout = TimeSpan.FromMilliseconds(300);
        // The peer holds blob 0 only and waits for the rest forever: after blob 0, nothing more comes.
        await using var filling = FillingTransfer.Start(Harness, seed: 19, heldBlobs: 1);

        var error = await Assert.ThrowsAsync<SourceLostException>(() => filling.Transfer.WaitAsync(Bound));
        await filling.ConnectionsClosed.WaitAsync(Bound);

        Assert.Contains("it sent nothing for 0.3 s", error.Message);
        Assert.Equal((filling.Peer.Address, 1), (error.Peer, error.BlobsLanded));
        Harness.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task A_peer_that_proves_the_secret_then_breaks_the_protocol_is_cut_reported_and_the_server_keeps_serving()
    {
        await using var served = ServedImage.Start(Harness, seed: 20);
        var closed = served.Peer.WhenAllConnectionsClosed();

        using (var peer = await Harness.ConnectAsync(served.Peer.Address).WaitAsync(Bound))
        {
            await ClusterAuth.AuthenticateAsync(peer, Secret, served.Peer.Address, Model, CancellationToken.None).AsTask().WaitAsync(Bound);
            var garbage = new byte[WireFormat.HeaderBytes];
            new Random(20).NextBytes(garbage);
            await SocketIo.SendAllAsync(peer, garbage, CancellationToken.None).AsTask().WaitAsync(Bound);
            await closed.WaitAsync(Bound);
        }

        var rejection = Assert.Single(served.Peer.Rejections);
        Assert.Equal(PeerRejectionKind.ProtocolViolation, rejection.Kind);
        Assert.Contains("range request", rejection.Reason);
        Assert.Equal((1, 0), (served.Peer.CutConnections, served.Peer.RefusedConnections));
        await Harness.Client().TransferAsync(served.Peer.Address, Whole(served.Layout), new ImageSink(served.Target)).WaitAsync(Bound);
        AssertIdentical(served.Source, served.Target);
    }

    [Fact]
    public async Task A_source_that_dies_mid_transfer_fails_it_with_SourceLost_and_leaves_nothing_behind()
    {
        // The source is itself still receiving: it holds blobs 0 and 1, so the transfer is mid-way when it dies.
        await using var filling = FillingTransfer.Start(Harness, seed: 12, heldBlobs: 2);
        int blobs = filling.Layout.Blobs.Count;
        string peer = filling.Peer.Address;

        await filling.Log.WhenReady(1);
        await filling.Peer.DisposeAsync();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => filling.Transfer.WaitAsync(Bound));
        Assert.Equal(peer, error.Peer);
        Assert.Equal((2, blobs), (error.BlobsLanded, error.BlobsRequested));
        Assert.Contains($"source {peer} was lost after 2 of {blobs} blobs", error.Message);
        Harness.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Retiring_a_model_cuts_its_transfers_and_completes_once_they_stopped_reading_it()
    {
        await using var filling = FillingTransfer.Start(Harness, seed: 13, heldBlobs: 1);
        string peer = filling.Peer.Address;

        await filling.Log.WhenReady(0);
        await filling.Peer.RetireAsync().WaitAsync(Bound);

        Assert.Equal(0, filling.Peer.ActiveConnections);
        var error = await Assert.ThrowsAsync<SourceLostException>(() => filling.Transfer.WaitAsync(Bound));
        Assert.Equal(1, error.BlobsLanded);
        Harness.AssertNothingLeftBehind();
        var refused = await Assert.ThrowsAsync<TransferException>(() =>
            Harness.Client().TransferAsync(peer, Whole(filling.Layout), new ImageSink(filling.Target)).WaitAsync(Bound));
        Assert.Contains($"model \"{Model}\" is not served by {peer}", refused.Message);
    }

    [Fact]
    public async Task An_unknown_model_or_a_different_layout_is_refused_by_name_before_anything_is_set_up()
    {
        var bf16 = Layout(dtype: DType.BF16);
        await using var served = ServedImage.Start(Harness, seed: 14, targetLayout: bf16);
        var (peer, transport) = (served.Peer, Harness.Client());

        var unknown = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(peer.Address, new TransferRequest("other", 0, 1), new ImageSink(served.Target)).WaitAsync(Bound));
        Harness.AssertNothingLeftBehind();
        var differs = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(peer.Address, Whole(bf16), new ImageSink(served.Target)).WaitAsync(Bound));
        Harness.AssertNothingLeftBehind();

        Assert.Contains($"model \"other\" is not served by {peer.Address}", unknown.Message);
        Assert.Contains("the layouts differ", differs.Message);
    }

    [Fact]
    public async Task Losing_the_head_of_a_chain_fails_every_node_with_SourceLost()
    {
        var layout = Layout();
        using var rootImage = Random(layout, seed: 15, loadedBlobs: 0);
        var root = new ImageSink(rootImage);
        Land(root, 0, 1);
        await using var chain = TransferChain.Start(Harness, layout, root, nodes: 3);

        await chain.Logs[^1].WhenReady(0);
        await chain.Root.DisposeAsync();

        for (int node = 0; node < 3; node++)
        {
            var error = await Assert.ThrowsAsync<SourceLostException>(() => chain.Transfers[node].WaitAsync(Bound));
            Assert.Equal(node == 0 ? chain.Root.Address : chain.Peers[node - 1].Address, error.Peer);
            Assert.Equal(1, error.BlobsLanded);
            if (node > 0) Assert.Contains("its own source was lost", error.Message);
        }
    }
}
