using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using BlitzScale.Scaling.Planning;

namespace BlitzScale.Grains.DataPlane;

/// <summary>
/// Fills one parameter image from its feeds, all at once: parts held by peers come over the data plane, parts with no
/// source but storage are read from the host's model files. Every landed blob is reported, in landing order per feed.
/// </summary>
internal static class ImageFill
{
    /// <summary>Most bytes reported to the sink at once (its landing API counts in <see cref="int"/>).</summary>
    private const int MaxLanding = 1 << 30;

    /// <summary>Runs every feed; completes when the image is whole, fails with the first feed's error (the other feeds are cancelled).</summary>
    public static async Task<long> RunAsync(
        IReadOnlyList<LoadFeed> feeds, ImageSink sink, ModelDirectory files, HostDataPlane dataPlane, double? storageMBps,
        Action<int> blobLanded, CancellationToken cancellationToken)
    {
        Check(feeds, sink.Image);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var progress = new SynchronousProgress(blobLanded);
        var running = feeds.Select(feed => RunOneAsync(feed, sink, files, dataPlane, storageMBps, progress, failed)).ToList();
        try
        {
            var bytes = await Task.WhenAll(running).ConfigureAwait(false);
            return bytes.Sum();
        }
        catch (OperationCanceledException) when (running.Any(t => t.IsFaulted))
        {
            // The other feeds were cancelled because one failed: that failure is the one to report.
            throw running.First(t => t.IsFaulted).Exception!.InnerException!;
        }
    }

    /// <summary>One feed for the whole image from the host's model files.</summary>
    public static IReadOnlyList<LoadFeed> FromStorage(ImageLayout layout) =>
        [new LoadFeed(FeedKind.Storage, TransferPlan.StorageEndpoint, "", "", 0, layout.Blobs.Count, "Storage")];

    /// <summary>
    /// Copies blobs from the model files into the image, marking each landed. With <paramref name="storageMBps"/>, reads are
    /// paced to that rate (MB = 10^6 bytes), emulating a storage device slower than this machine's page cache.
    /// </summary>
    /// <remarks>
    /// The first blob is read from byte <paramref name="firstBlobOffset"/> on: the bytes before it landed before and are
    /// left as they are (a peer may be reading them).
    /// </remarks>
    public static long LoadFromFiles(
        ModelDirectory files, ImageSink sink, int firstBlob, int endBlob, double? storageMBps, Action<int> blobLanded, CancellationToken cancellationToken,
        long firstBlobOffset = 0)
    {
        long bytes = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int blob = firstBlob; blob < endBlob; blob++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long from = blob == firstBlob ? firstBlobOffset : 0;
            long length = sink.Layout.Blobs[blob].ByteLength;
            if (storageMBps is { } rate)
            {
                // The device delivers this blob once the bytes before it and the blob itself have streamed at the rate.
                var due = TimeSpan.FromSeconds((bytes + length - from) / (rate * 1e6));
                if (due > clock.Elapsed) cancellationToken.WaitHandle.WaitOne(due - clock.Elapsed);
                cancellationToken.ThrowIfCancellationRequested();
            }
            ImageLoader.LoadBlobFrom(files.Checkpoint, sink.Image, blob, from);
            bool whole = false;
            for (long offset = from; offset < length; offset += MaxLanding)
                whole |= sink.ChunkLanded(blob, offset, (int)Math.Min(MaxLanding, length - offset));
            bytes += length - from;
            if (whole) blobLanded(blob);
        }
        return bytes;
    }

    private static async Task<long> RunOneAsync(
        LoadFeed feed, ImageSink sink, ModelDirectory files, HostDataPlane dataPlane, double? storageMBps, IProgress<int> progress, CancellationTokenSource failed)
    {
        try
        {
            if (!feed.Descending) return await FetchAsync(feed, sink, files, dataPlane, storageMBps, progress, failed.Token).ConfigureAwait(false);
            long bytes = 0;
            foreach (var blob in Blobs(feed, sink.Layout))
                bytes += await FetchAsync(blob, sink, files, dataPlane, storageMBps, progress, failed.Token).ConfigureAwait(false);
            return bytes;
        }
        catch (Exception e) when (e is not OperationCanceledException || !failed.IsCancellationRequested)
        {
            sink.TransferFailed(feed.FirstBlob, feed.EndBlob, e);
            await failed.CancelAsync().ConfigureAwait(false);
            throw new FeedFailedException(feed, e);
        }
    }

    /// <summary>
    /// A descending feed as the fetches it makes, in order: one a blob, the head first and the layers from the last
    /// (<see cref="ImageLayout.BlobsLastFirst"/>), each of the feed's blobs once (its first alone keeps the feed's
    /// <see cref="LoadFeed.FirstBlobOffset"/>). A fetch a blob rather than a reversed stream keeps every transport and the chains
    /// as they are; it costs a request's round trip a blob, against a blob of a layer's size on the link.
    /// </summary>
    public static IEnumerable<LoadFeed> Blobs(LoadFeed feed, ImageLayout layout)
    {
        foreach (int blob in layout.BlobsLastFirst().Where(b => b >= feed.FirstBlob && b < feed.EndBlob))
        {
            yield return feed with
            {
                FirstBlob = blob, EndBlob = blob + 1, Descending = false,
                FirstBlobOffset = blob == feed.FirstBlob ? feed.FirstBlobOffset : 0,
            };
        }
    }

    private static async Task<long> FetchAsync(
        LoadFeed feed, ImageSink sink, ModelDirectory files, HostDataPlane dataPlane, double? storageMBps, IProgress<int> progress, CancellationToken cancellationToken)
    {
        if (feed.Kind == FeedKind.Storage)
        {
            return await Task.Run(() => LoadFromFiles(files, sink, feed.FirstBlob, feed.EndBlob, storageMBps, progress.Report, cancellationToken, feed.FirstBlobOffset), cancellationToken)
                .ConfigureAwait(false);
        }
        var result = await dataPlane.FetchAsync(feed, sink, progress, cancellationToken).ConfigureAwait(false);
        return result.Bytes;
    }

    /// <summary>
    /// The parts of <paramref name="feeds"/> that the image still lacks: each feed cut to its runs of blobs not yet loaded
    /// (a load planned again after a lost source fetches only those). A blob whose first <c>landedPrefixes[b]</c> bytes
    /// landed and verified starts a feed of its own from there, so none of those bytes is fetched again.
    /// </summary>
    /// <param name="feeds">The feeds planned for the whole image.</param>
    /// <param name="image">The image being filled.</param>
    /// <param name="landedPrefixes">Verified bytes at the start of each blob (<see cref="ImageSink.LandedPrefixes"/>); null: whole blobs only.</param>
    /// <exception cref="ArgumentException">The prefixes are not one per blob of the image.</exception>
    public static IReadOnlyList<LoadFeed> Missing(IReadOnlyList<LoadFeed> feeds, ParameterImage image, IReadOnlyList<long>? landedPrefixes = null)
    {
        int blobs = image.Layout.Blobs.Count;
        if (landedPrefixes is not null && landedPrefixes.Count != blobs)
            throw new ArgumentException($"{landedPrefixes.Count} landed prefixes given for an image of {blobs} blobs", nameof(landedPrefixes));
        long Held(int blob) => image.IsLoaded(blob) ? image.Layout.Blobs[blob].ByteLength : landedPrefixes?[blob] ?? 0;

        var missing = new List<LoadFeed>();
        foreach (var feed in feeds)
        {
            int blob = feed.FirstBlob;
            while (blob < feed.EndBlob)
            {
                if (image.IsLoaded(blob))
                {
                    blob++;
                    continue;
                }
                long from = Math.Max(Held(blob), blob == feed.FirstBlob ? feed.FirstBlobOffset : 0);
                int end = blob + 1;
                // A run ends before a blob that is loaded or partly held: that one starts a feed of its own.
                while (end < feed.EndBlob && Held(end) == 0) end++;
                missing.Add(feed with { FirstBlob = blob, EndBlob = end, FirstBlobOffset = from });
                blob = end;
            }
        }
        return missing;
    }

    // Every blob the image lacks must come from exactly one feed; one it holds already from none or one.
    private static void Check(IReadOnlyList<LoadFeed> feeds, ParameterImage image)
    {
        var layout = image.Layout;
        var covered = new int[layout.Blobs.Count];
        foreach (var feed in feeds)
        {
            if (feed.FirstBlob < 0 || feed.EndBlob > covered.Length || feed.EndBlob <= feed.FirstBlob)
                throw new ArgumentException($"feed from {feed.From}: blobs {feed.FirstBlob}..{feed.EndBlob} are not a range of the {covered.Length}-blob image");
            for (int b = feed.FirstBlob; b < feed.EndBlob; b++) covered[b]++;
        }
        for (int b = 0; b < covered.Length; b++)
        {
            if (covered[b] > 1 || covered[b] == 0 && !image.IsLoaded(b))
                throw new ArgumentException($"the feeds cover blob {b} {covered[b]} time(s); every blob the image lacks must come from exactly one feed");
        }
    }

    /// <summary>Reports on the caller's thread (the receive loop), unlike <see cref="Progress{T}"/>, which posts.</summary>
    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
