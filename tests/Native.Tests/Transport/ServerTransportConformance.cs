using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// What a transport with a blob server must do besides <see cref="TransportConformance{THarness}"/>: refuse a wrong
/// secret, an unknown model and a different layout by name, lose its clients cleanly when it dies or retires a model
/// mid-transfer, and fail a whole chain when the chain's head dies.
/// </summary>
public abstract class ServerTransportConformance<THarness> : TransportConformance<THarness>
    where THarness : TransportHarness, new()
{
    [Fact]
    public async Task A_wrong_secret_is_refused_clearly_and_the_server_keeps_serving_others()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 11);
        using var target = ParameterImage.Allocate(layout);
        await using var peer = Harness.Serve(new ImageSource(source));
        byte[] wrong = [.. Secret];
        wrong[0] ^= 1;

        var error = await Assert.ThrowsAsync<PeerRefusedException>(() =>
            Harness.Client(wrong).TransferAsync(peer.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));
        await Harness.Client().TransferAsync(peer.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound);

        Assert.Equal(peer.Address, error.Peer);
        Assert.Contains($"peer {peer.Address} refused the cluster secret", error.Message);
        Assert.Equal(1, peer.RefusedConnections);
        AssertIdentical(source, target);
    }

    [Fact]
    public async Task A_source_that_dies_mid_transfer_fails_it_with_SourceLost_and_leaves_nothing_behind()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 12, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        // The source is itself still receiving: it holds blobs 0 and 1, so the transfer is mid-way when it dies.
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 2);
        await using var peer = Harness.Serve(sourceSink);
        var log = new BlobReadyLog();

        var transfer = Harness.Client().TransferAsync(peer.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(1);
        await peer.DisposeAsync();

        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(peer.Address, error.Peer);
        Assert.Equal((2, layout.Blobs.Count), (error.BlobsLanded, error.BlobsRequested));
        Assert.Contains($"source {peer.Address} was lost after 2 of {layout.Blobs.Count} blobs", error.Message);
        Harness.AssertNothingLeftBehind();
    }

    [Fact]
    public async Task Retiring_a_model_cuts_its_transfers_and_completes_once_they_stopped_reading_it()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 13, loadedBlobs: 0);
        using var target = ParameterImage.Allocate(layout);
        var sourceSink = new ImageSink(source);
        Land(sourceSink, 0, 1);
        await using var peer = Harness.Serve(sourceSink);
        var log = new BlobReadyLog();

        var transfer = Harness.Client().TransferAsync(peer.Address, Whole(layout), new ImageSink(target), log);
        await log.WhenReady(0);
        await peer.RetireAsync().WaitAsync(Bound);

        Assert.Equal(0, peer.ActiveConnections);
        var error = await Assert.ThrowsAsync<SourceLostException>(() => transfer.WaitAsync(Bound));
        Assert.Equal(1, error.BlobsLanded);
        Harness.AssertNothingLeftBehind();
        var refused = await Assert.ThrowsAsync<TransferException>(() =>
            Harness.Client().TransferAsync(peer.Address, Whole(layout), new ImageSink(target)).WaitAsync(Bound));
        Assert.Contains($"model \"{Model}\" is not served by {peer.Address}", refused.Message);
    }

    [Fact]
    public async Task An_unknown_model_or_a_different_layout_is_refused_by_name_before_anything_is_set_up()
    {
        var layout = Layout();
        using var source = Random(layout, seed: 14);
        var bf16 = Layout(dtype: DType.BF16);
        using var target = ParameterImage.Allocate(bf16);
        await using var peer = Harness.Serve(new ImageSource(source));
        var transport = Harness.Client();

        var unknown = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(peer.Address, new TransferRequest("other", 0, 1), new ImageSink(target)).WaitAsync(Bound));
        Harness.AssertNothingLeftBehind();
        var differs = await Assert.ThrowsAsync<TransferException>(() =>
            transport.TransferAsync(peer.Address, Whole(bf16), new ImageSink(target)).WaitAsync(Bound));
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
