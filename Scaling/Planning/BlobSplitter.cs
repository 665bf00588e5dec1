namespace BlitzScale.Scaling.Planning;

/// <summary>Splits the image into contiguous blob ranges balanced by bytes, one per sender of a split send.</summary>
internal static class BlobSplitter
{
    /// <summary>
    /// <paramref name="parts"/> non-empty contiguous ranges covering all blobs whose largest byte total is as small
    /// as possible (the slowest sender decides the feed's time). Ties go to the earliest cut, working back from the
    /// last part, so the same sizes always give the same ranges.
    /// </summary>
    public static BlobRange[] Split(IReadOnlyList<long> sizes, int parts)
    {
        int n = sizes.Count;
        if (parts < 1 || parts > n) throw new ArgumentOutOfRangeException(nameof(parts), parts, $"expected 1..{n}");
        var prefix = new long[n + 1];
        for (int i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sizes[i];

        // best[p, i]: the smallest possible largest part when the first i blobs form p parts; cut[p, i]: where part p starts.
        var best = new long[parts + 1, n + 1];
        var cut = new int[parts + 1, n + 1];
        for (int i = 1; i <= n; i++) best[1, i] = prefix[i];
        for (int p = 2; p <= parts; p++)
        {
            for (int i = p; i <= n; i++)
            {
                best[p, i] = long.MaxValue;
                for (int j = p - 1; j < i; j++)
                {
                    long largest = Math.Max(best[p - 1, j], prefix[i] - prefix[j]);
                    if (largest < best[p, i]) { best[p, i] = largest; cut[p, i] = j; }
                }
            }
        }

        var ranges = new BlobRange[parts];
        int end = n;
        for (int p = parts; p >= 1; p--)
        {
            int start = p == 1 ? 0 : cut[p, end];
            ranges[p - 1] = new BlobRange(start, end - start);
            end = start;
        }
        return ranges;
    }
}
