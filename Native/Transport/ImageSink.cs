using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>
/// A parameter image being filled by transfers, which can serve what has landed while the rest streams in: register
/// it with a <see cref="BlobServer"/> (or a <see cref="SameHostTransport"/>) and the next node of a chain pulls each
/// chunk from here as soon as it has landed and been verified, waiting for the ones that have not.
/// </summary>
/// <remarks>
/// Readiness is tracked per blob as a landed prefix: chunks normally land in order and extend it; a chunk that lands
/// past a gap (the chunk before it failed its check and is being fetched again) waits in a short list until the gap
/// fills. Blobs already loaded in the image when the sink is made count as landed, and so do the prefixes a sink
/// made after a failed load is given (<see cref="ImageSink(ParameterImage, IReadOnlyList{long})"/>): only the prefix
/// is kept, so chunks that had landed past a gap are fetched again.
/// </remarks>
public sealed class ImageSink : IBlobSink, IBlobSource
{
    private readonly Lock _gate = new();
    private readonly ParameterImage _image;
    private readonly ImageMemory _memory;
    private readonly long[] _landed;
    private readonly List<(long Start, long End)>?[] _pastGap;
    private readonly Exception?[] _failure;
    private readonly List<LandingWaiter> _waiting = new(4);
    private readonly Stack<LandingWaiter> _idle = new(4);

    /// <summary>Wraps an image; it must stay alive while transfers fill it or anything reads from it.</summary>
    public ImageSink(ParameterImage image)
        : this(image, null)
    {
    }

    /// <summary>
    /// Wraps an image whose blobs hold, besides the blobs it marks loaded, the verified bytes
    /// <c>[0, landedPrefixes[b])</c> of each blob b (what <see cref="LandedPrefixes"/> said of an earlier sink of the
    /// same image): those count as landed, are served to readers at once, and a transfer fills only the rest.
    /// </summary>
    /// <exception cref="ArgumentException">The list does not have one prefix per blob, or a prefix is negative or longer than its blob.</exception>
    public ImageSink(ParameterImage image, IReadOnlyList<long>? landedPrefixes)
    {
        ArgumentNullException.ThrowIfNull(image);
        _image = image;
        _memory = new ImageMemory(image);
        int blobs = image.Layout.Blobs.Count;
        if (landedPrefixes is not null && landedPrefixes.Count != blobs)
            throw new ArgumentException($"{landedPrefixes.Count} landed prefixes given for an image of {blobs} blobs", nameof(landedPrefixes));
        _landed = new long[blobs];
        _pastGap = new List<(long, long)>?[blobs];
        _failure = new Exception?[blobs];
        for (int b = 0; b < blobs; b++)
        {
            long length = image.Layout.Blobs[b].ByteLength;
            long prefix = landedPrefixes?[b] ?? 0;
            if (prefix < 0 || prefix > length)
                throw new ArgumentException($"blob {b} has {length} bytes; a landed prefix of {prefix} bytes is not a prefix of it", nameof(landedPrefixes));
            _landed[b] = image.IsLoaded(b) ? length : prefix;
            if (_landed[b] == length) image.MarkLoaded(b);
        }
    }

    /// <summary>The image being filled.</summary>
    public ParameterImage Image => _image;

    /// <inheritdoc cref="IBlobSink.Layout"/>
    public ImageLayout Layout => _image.Layout;

    /// <summary>Bytes of a blob that have landed and been verified, counted from its start.</summary>
    public long LandedBytes(int blob)
    {
        lock (_gate) return _landed[blob];
    }

    /// <summary>
    /// Bytes of each blob that have landed and been verified, counted from its start: what a sink made for the same
    /// image after this one's transfers failed keeps (<see cref="ImageSink(ParameterImage, IReadOnlyList{long})"/>).
    /// </summary>
    public long[] LandedPrefixes()
    {
        lock (_gate) return (long[])_landed.Clone();
    }

    /// <inheritdoc/>
    public Memory<byte> ChunkMemory(int blob, long offsetInBlob, int length) => _memory.Slice(blob, offsetInBlob, length);

    /// <inheritdoc/>
    public bool ChunkLanded(int blob, long offsetInBlob, int length)
    {
        _ = _memory.Slice(blob, offsetInBlob, length);
        long blobLength = Layout.Blobs[blob].ByteLength;
        lock (_gate)
        {
            long before = _landed[blob];
            if (before == blobLength) return false;
            _failure[blob] = null;
            long end = offsetInBlob + length;
            if (offsetInBlob <= before)
            {
                _landed[blob] = Math.Max(before, end);
                DrainPastGap(blob);
            }
            else
            {
                // Rare: only after a refetch. Allocating here is fine.
                (_pastGap[blob] ??= []).Add((offsetInBlob, end));
            }
            if (_landed[blob] == before) return false;
            WakeReaders(blob);
            if (_landed[blob] < blobLength) return false;
            _image.MarkLoaded(blob);
            return true;
        }
    }

    /// <inheritdoc/>
    public void TransferFailed(int firstBlob, int endBlob, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate)
        {
            for (int b = Math.Max(firstBlob, 0); b < Math.Min(endBlob, _failure.Length); b++)
            {
                if (_landed[b] < Layout.Blobs[b].ByteLength)
                    _failure[b] = error;
            }
            for (int i = _waiting.Count - 1; i >= 0; i--)
            {
                var waiter = _waiting[i];
                if (waiter.Blob < firstBlob || waiter.Blob >= endBlob) continue;
                _waiting.RemoveAt(i);
                waiter.Fail(error);
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<ReadOnlyMemory<byte>> ReadAsync(int blob, long offsetInBlob, int length, CancellationToken cancellationToken = default)
    {
        ReadOnlyMemory<byte> bytes = _memory.Slice(blob, offsetInBlob, length);
        long end = offsetInBlob + length;
        lock (_gate)
        {
            if (_landed[blob] >= end) return new ValueTask<ReadOnlyMemory<byte>>(bytes);
            if (_failure[blob] is { } failure) return ValueTask.FromException<ReadOnlyMemory<byte>>(failure);
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<ReadOnlyMemory<byte>>(cancellationToken);
            var waiter = _idle.Count > 0 ? _idle.Pop() : new LandingWaiter(this);
            waiter.Arm(blob, end, bytes);
            _waiting.Add(waiter);
            waiter.WatchCancellation(cancellationToken);
            return waiter.Task;
        }
    }

    internal void CancelWait(LandingWaiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            if (_waiting.Remove(waiter))
                waiter.Fail(new OperationCanceledException(token));
        }
    }

    internal void Return(LandingWaiter waiter)
    {
        lock (_gate) _idle.Push(waiter);
    }

    private void DrainPastGap(int blob)
    {
        var pending = _pastGap[blob];
        if (pending is null) return;
        bool advanced = true;
        while (advanced && pending.Count > 0)
        {
            advanced = false;
            for (int i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i].Start > _landed[blob]) continue;
                _landed[blob] = Math.Max(_landed[blob], pending[i].End);
                pending.RemoveAt(i);
                advanced = true;
            }
        }
    }

    private void WakeReaders(int blob)
    {
        for (int i = _waiting.Count - 1; i >= 0; i--)
        {
            var waiter = _waiting[i];
            if (waiter.Blob != blob || waiter.End > _landed[blob]) continue;
            _waiting.RemoveAt(i);
            waiter.Land();
        }
    }
}
