using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>
/// A multicast chain on one transport: a root peer and n nodes, each serving its image while it is still receiving it
/// (registered on its own peer before it starts pulling from the previous one), so node k+1 pulls each chunk from node
/// k as soon as it has landed there.
/// </summary>
internal sealed class TransferChain : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private TransferChain(ServedPeer root) => Root = root;

    public ServedPeer Root { get; }
    public List<ServedPeer> Peers { get; } = [];
    public List<ParameterImage> Images { get; } = [];
    public List<BlobReadyLog> Logs { get; } = [];
    public List<Task<TransferResult>> Transfers { get; } = [];

    public static TransferChain Start(TransportHarness harness, ImageLayout layout, IBlobSource root, int nodes)
    {
        var chain = new TransferChain(harness.Serve(root));
        var transport = harness.Client();
        string upstream = chain.Root.Address;
        for (int n = 0; n < nodes; n++)
        {
            var image = ParameterImage.Allocate(layout);
            var sink = new ImageSink(image);
            var peer = harness.Serve(sink);
            var log = new BlobReadyLog();
            chain.Images.Add(image);
            chain.Peers.Add(peer);
            chain.Logs.Add(log);
            chain.Transfers.Add(transport.TransferAsync(upstream, Whole(layout), sink, log));
            upstream = peer.Address;
        }
        return chain;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var peer in Peers) await peer.DisposeAsync();
        await Root.DisposeAsync();
        // Transfers end with their peers; the images may be freed only after nothing writes into them (a transfer
        // still running past the bound has already failed the test: its image is left to the process).
        var ended = Task.WhenAll(Transfers).ContinueWith(_ => { }, TaskScheduler.Default);
        if (await Task.WhenAny(ended, Task.Delay(Bound)) != ended) return;
        foreach (var image in Images) image.Dispose();
    }
}
