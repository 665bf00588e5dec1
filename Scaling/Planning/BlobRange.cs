namespace BlitzScale.Scaling.Planning;

/// <summary>A contiguous range of blobs of the parameter image: <c>[Start, Start + Count)</c>.</summary>
/// <param name="Start">The first blob.</param>
/// <param name="Count">How many blobs (at least 1).</param>
public sealed record BlobRange(int Start, int Count)
{
    /// <summary>One past the last blob.</summary>
    public int End => Start + Count;

    /// <summary>The whole image of <paramref name="blobCount"/> blobs.</summary>
    public static BlobRange All(int blobCount) => new(0, blobCount);

    /// <summary>Whether <paramref name="blob"/> is in the range.</summary>
    public bool Contains(int blob) => blob >= Start && blob < End;

    /// <summary>"blobs 3-7" (inclusive, for people).</summary>
    public override string ToString() => Count == 1 ? $"blob {Start}" : $"blobs {Start}-{End - 1}";
}
