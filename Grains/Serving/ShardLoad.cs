using System.Diagnostics;
using System.Threading.Channels;
using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;

namespace BlitzScale.Grains.Serving;

/// <summary>One shard's parameter load: the image, its feeds, the clock and the landed-blob signal the event pump reads.</summary>
/// <param name="blobLanded">Told of each whole blob as it lands (its feed and the bytes this load brought of it), on the thread that landed it.</param>
/// <param name="kept">
/// The verified prefix of each blob that a failed load of the same image left (<see cref="ImageSink.LandedPrefixes"/>); null
/// for a new image.
/// </param>
internal sealed class ShardLoad(
    string shard, IReadOnlyList<LoadFeed> feeds, ParameterImage image, long totalBytes, Action<LoadFeed, long>? blobLanded = null, IReadOnlyList<long>? kept = null)
{
    private static readonly TimeSpan ProgressPeriod = TimeSpan.FromMilliseconds(500);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Channel<int> _landed = Channel.CreateUnbounded<int>();
    private readonly CancellationTokenSource _cancel = new();
    private double _seconds = -1;
    private long _fetched;

    public string Shard { get; } = shard;
    public IReadOnlyList<LoadFeed> Feeds { get; } = feeds;
    public ParameterImage Image { get; } = image;
    public ImageSink Sink { get; } = new(image, kept);
    public long TotalBytes { get; } = totalBytes;
    // What the image held when this load began (whole blobs and kept prefixes): none of it is fetched again.
    private readonly long[] _held = HeldBytes(image, kept);

    /// <summary>Seconds from the load request to the last byte landing (so far, while loading).</summary>
    public double Seconds => Volatile.Read(ref _seconds) is var s and >= 0 ? s : _clock.Elapsed.TotalSeconds;

    /// <summary>When the last byte landed, on the system clock; null while loading or after a failed load.</summary>
    /// <remarks>A bench on the same machine sets it against its own request time: it says when the load ended even while no call reaches the shard.</remarks>
    public DateTimeOffset? LandedAt { get; private set; }

    /// <summary>Bytes landed and verified.</summary>
    public long LoadedBytes
    {
        get
        {
            long bytes = 0;
            for (int b = 0; b < Image.Layout.Blobs.Count; b++) bytes += Sink.LandedBytes(b);
            return bytes;
        }
    }

    /// <summary>
    /// Bytes this load brought: while it runs, counted as each blob completes; once it is done, the bytes its feeds moved
    /// (the image may have held blobs or parts of them before it began; none of those is counted unless fetched again).
    /// </summary>
    public long FetchedBytes => Interlocked.Read(ref _fetched);

    /// <summary>Bytes the image held when this load began: whole blobs and the verified prefixes of others.</summary>
    public long KeptBytes => _held.Sum();

    /// <summary>The feeds start now: the load's clock starts here.</summary>
    public void Start() => _clock.Restart();

    public void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Finished already.
        }
    }

    /// <summary>Runs every feed until the image is whole; off the grain scheduler.</summary>
    public async Task RunAsync(ModelDirectory files, HostDataPlane dataPlane, double? storageMBps)
    {
        try
        {
            long moved = await ImageFill.RunAsync(Feeds, Sink, files, dataPlane, storageMBps, Landed, _cancel.Token).ConfigureAwait(false);
            Interlocked.Exchange(ref _fetched, moved);
            Volatile.Write(ref _seconds, _clock.Elapsed.TotalSeconds);
            LandedAt = DateTimeOffset.UtcNow;
        }
        finally
        {
            _landed.Writer.TryComplete();
        }
    }

    /// <summary>One element per burst of landed blobs, and one every half second with the bytes landed, until the load ends.</summary>
    public async IAsyncEnumerable<LoadProgress> Progress()
    {
        var reader = _landed.Reader;
        // One wait for the next landing at a time, kept across the half-second ticks that pass before it completes.
        Task<bool>? landed = null;
        while (true)
        {
            landed ??= reader.WaitToReadAsync().AsTask();
            if (await Task.WhenAny(landed, Task.Delay(ProgressPeriod)) != landed)
            {
                yield return Snapshot(layerLanded: false);
                continue;
            }
            bool more = await landed;
            landed = null;
            if (!more) yield break;
            while (reader.TryRead(out _))
            {
                // Coalesced: one event says how far the prefix reaches now.
            }
            yield return Snapshot(layerLanded: true);
        }
    }

    private void Landed(int blob)
    {
        _landed.Writer.TryWrite(blob);
        long brought = Image.Layout.Blobs[blob].ByteLength - _held[blob];
        Interlocked.Add(ref _fetched, brought);
        if (blobLanded is null) return;
        // Feeds cover disjoint blob ranges (ImageFill checks), so exactly one brought this blob.
        var feed = Feeds.First(f => blob >= f.FirstBlob && blob < f.EndBlob);
        blobLanded(feed, brought);
    }

    /// <summary>
    /// "h1/gpu0 (Network, blobs 0-13)" per feed; "blobs 3-7 from byte 8388608" for one that starts inside its first blob;
    /// ", last first" for a descending one.
    /// </summary>
    public string Describe() => string.Join(" + ", Feeds.Select(f =>
        $"{f.From} ({f.Link}{(f.EndBlob - f.FirstBlob == Image.Layout.Blobs.Count && f.FirstBlobOffset == 0 ? "" : $", blobs {f.FirstBlob}-{f.EndBlob - 1}")}" +
        $"{(f.FirstBlobOffset > 0 ? $" from byte {f.FirstBlobOffset}" : "")}{(f.Descending ? ", last first" : "")})"));

    private static long[] HeldBytes(ParameterImage image, IReadOnlyList<long>? kept)
    {
        var held = new long[image.Layout.Blobs.Count];
        for (int b = 0; b < held.Length; b++)
            held[b] = image.IsLoaded(b) ? image.Layout.Blobs[b].ByteLength : kept?[b] ?? 0;
        return held;
    }

    private LoadProgress Snapshot(bool layerLanded) =>
        new(layerLanded, Image.LoadedLayerPrefix, LoadedBytes, _clock.Elapsed.TotalMilliseconds, Image.Layout.NumLayers - Image.LoadedLayerSuffix);
}

/// <summary>How far a load has come: the layers held from the first, and (<paramref name="LoadedTailLayers"/>) from the last with the head.</summary>
internal readonly record struct LoadProgress(bool LayerLanded, int LoadedLayers, long Bytes, double ElapsedMs, int LoadedTailLayers = 0);
