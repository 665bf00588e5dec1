using BlitzScale.Scaling.Planning;

namespace BlitzScale.Scaling.Tests.Planning;

/// <summary>The split of the image among the GPUs of a split send: contiguous, covering, balanced by bytes.</summary>
public sealed class BlobSplitterTests
{
    [Fact]
    public void OnePartIsTheWholeImage() =>
        Assert.Equal([new BlobRange(0, 3)], BlobSplitter.Split([5, 6, 7], 1));

    [Fact]
    public void AsManyPartsAsBlobsGivesOneBlobEach() =>
        Assert.Equal([new BlobRange(0, 1), new BlobRange(1, 1), new BlobRange(2, 1)], BlobSplitter.Split([5, 6, 7], 3));

    [Fact]
    public void PartsAreBalancedByBytesNotByBlobCount() =>
        // The embedding and head are large: 100 | 10+10+10+10+10+10+10+10+10+10 | 100 is the best three-way split.
        Assert.Equal(
            [new BlobRange(0, 1), new BlobRange(1, 10), new BlobRange(11, 1)],
            BlobSplitter.Split([100, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 100], 3));

    [Fact]
    public void LargestPartIsAsSmallAsPossible()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            long[] sizes = Enumerable.Range(0, random.Next(1, 9)).Select(_ => (long)random.Next(1, 50)).ToArray();
            int parts = random.Next(1, sizes.Length + 1);

            var ranges = BlobSplitter.Split(sizes, parts);

            Assert.Equal(parts, ranges.Length);
            Assert.Equal(0, ranges[0].Start);
            for (int i = 1; i < parts; i++) Assert.Equal(ranges[i - 1].End, ranges[i].Start);
            Assert.Equal(sizes.Length, ranges[^1].End);
            Assert.All(ranges, r => Assert.True(r.Count >= 1));
            long largest = ranges.Max(r => sizes.Skip(r.Start).Take(r.Count).Sum());
            Assert.Equal(BruteForceLargest(sizes, parts), largest);
        }
    }

    /// <summary>The smallest largest part over every way to cut, tried exhaustively.</summary>
    private static long BruteForceLargest(long[] sizes, int parts)
    {
        if (parts == 1) return sizes.Sum();
        long best = long.MaxValue;
        for (int cut = parts - 1; cut < sizes.Length; cut++)
            best = Math.Min(best, Math.Max(BruteForceLargest(sizes[..cut], parts - 1), sizes[cut..].Sum()));
        return best;
    }
}
