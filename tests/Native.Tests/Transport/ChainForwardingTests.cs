using System.Net;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// Multicast chains over TCP: each node serves its image while it is still receiving it, so node k+1 pulls each chunk
/// from node k as soon as it has landed there.
/// </summary>
public sealed class ChainForwardingTests
{
    private static readonly IPEndPoint Loopback = new(IPAddress.Loopback, 0);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_chain_of_three_forwards_while_receiving_and_every_image_equals_the_source()
    {
        var layout = Layout();
        int last = layout.Blobs.Count - 1;
        using var rootImage = Random(layout, seed: 11, loadedBlobs: 0);
        // The root is itself still receiving: it holds every blob but the last until the test lands it. If any node
        // waited for a whole image before forwarding, C's first blob could never become ready and the test would fail.
        var root = new ImageSink(rootImage);
        Land(root, 0, last);
        await using var chain = Chain.Start(layout, root, nodes: 3);

        await chain.Logs[^1].WhenReady(0);
        bool firstNodeWasStillLoading = !chain.Transfers[0].IsCompleted;
        Land(root, last, last + 1);
        await Task.WhenAll(chain.Transfers).WaitAsync(Bound);

        Assert.True(firstNodeWasStillLoading);
        foreach (var (image, log) in chain.Images.Zip(chain.Logs))
        {
            AssertIdentical(rootImage, image);
            Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), log.Blobs);
        }
    }

    [Fact]
    public async Task Losing_the_head_of_the_chain_fails_every_node_with_SourceLost()
    {
        var layout = Layout();
        using var rootImage = Random(layout, seed: 12, loadedBlobs: 0);
        var root = new ImageSink(rootImage);
        Land(root, 0, 1);
        await using var chain = Chain.Start(layout, root, nodes: 3);

        await chain.Logs[^1].WhenReady(0);
        await chain.RootServer.DisposeAsync();

        for (int node = 0; node < 3; node++)
        {
            var error = await Assert.ThrowsAsync<SourceLostException>(() => chain.Transfers[node].WaitAsync(Bound));
            Assert.Equal(node == 0 ? chain.RootServer.Address : chain.Servers[node - 1].Address, error.Peer);
            Assert.Equal(1, error.BlobsLanded);
            if (node > 0) Assert.Contains("its own source was lost", error.Message);
        }
    }

    /// <summary>A root server and n nodes, each registered on its own server before it starts pulling from the previous one.</summary>
    private sealed class Chain : IAsyncDisposable
    {
        public required BlobServer RootServer { get; init; }
        public List<BlobServer> Servers { get; } = [];
        public List<ParameterImage> Images { get; } = [];
        public List<BlobReadyLog> Logs { get; } = [];
        public List<Task<TransferResult>> Transfers { get; } = [];

        public static Chain Start(ImageLayout layout, IBlobSource root, int nodes)
        {
            var chain = new Chain { RootServer = BlobServer.Start(Loopback, Secret) };
            chain.RootServer.Register(Model, root);
            var transport = new TcpBlobTransport(Secret);
            string upstream = chain.RootServer.Address;
            for (int n = 0; n < nodes; n++)
            {
                var image = ParameterImage.Allocate(layout);
                var sink = new ImageSink(image);
                var server = BlobServer.Start(Loopback, Secret);
                server.Register(Model, sink);
                var log = new BlobReadyLog();
                chain.Images.Add(image);
                chain.Servers.Add(server);
                chain.Logs.Add(log);
                chain.Transfers.Add(transport.TransferAsync(upstream, Whole(layout), sink, log));
                upstream = server.Address;
            }
            return chain;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var server in Servers) await server.DisposeAsync();
            await RootServer.DisposeAsync();
            // Transfers end with their servers; the images may be freed only after nothing writes into them.
            await Task.WhenAll(Transfers).ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var image in Images) image.Dispose();
        }
    }
}
