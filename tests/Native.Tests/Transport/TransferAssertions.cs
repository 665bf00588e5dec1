using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Transport;
using static BlitzScale.Native.Tests.Transport.TransportImages;

namespace BlitzScale.Native.Tests.Transport;

/// <summary>What every transport must deliver, stated once for the tests of each.</summary>
internal static class TransferAssertions
{
    /// <summary>The whole image arrived intact in <see cref="SmallChunk"/> chunks, each blob ready in order, nothing fetched twice.</summary>
    public static void AssertWholeImageArrived(ParameterImage source, ParameterImage target, BlobReadyLog log, TransferResult result)
    {
        var layout = source.Layout;
        AssertIdentical(source, target);
        Assert.Equal(Enumerable.Range(0, layout.Blobs.Count), log.Blobs);
        Assert.Equal(layout.TotalBytes, result.Bytes);
        Assert.Equal(layout.Blobs.Sum(b => (b.ByteLength + SmallChunk - 1) / SmallChunk), result.Chunks);
        Assert.Equal(0, result.RefetchedChunks);
    }

    /// <summary>Blobs 1..4 arrived intact and ready in order, and no other blob of the target was touched.</summary>
    public static void AssertOnlyBlobs1To4Arrived(ParameterImage source, ParameterImage target, BlobReadyLog log)
    {
        Assert.Equal([1, 2, 3], log.Blobs);
        for (int b = 0; b < source.Layout.Blobs.Count; b++)
        {
            Assert.Equal(b is >= 1 and < 4, target.IsLoaded(b));
            Assert.Equal(b is >= 1 and < 4, source.BlobBytes(b).SequenceEqual(target.BlobBytes(b)));
        }
    }

    /// <summary>The transfer gave up on blob 2 chunk 1 after every allowed attempt, naming it and the peer; blob 1 had landed, blob 2 had not.</summary>
    public static void AssertGaveUpOnBlob2Chunk1(ChunkVerificationException error, string peer, ParameterImage target)
    {
        Assert.Equal((2, 1, TransferRequest.DefaultMaxAttempts), (error.Blob, error.Chunk, error.Attempts));
        Assert.Contains("blob 2 chunk 1", error.Message);
        Assert.Contains(peer, error.Message);
        Assert.True(target.IsLoaded(1));
        Assert.False(target.IsLoaded(2));
    }
}
