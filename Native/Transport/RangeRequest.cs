using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>What every blob server checks of a peer's range request against the image it serves.</summary>
internal static class RangeRequest
{
    /// <summary>
    /// Why server <paramref name="address"/> refuses <paramref name="range"/> (image bytes in B, blobs Blob..A, chunk
    /// size C) for <paramref name="modelId"/>, whose image has <paramref name="layout"/>; null when it is acceptable.
    /// </summary>
    public static string? Refusal(string address, string modelId, ImageLayout layout, RequestHeader range)
    {
        if (range.B != layout.TotalBytes)
            return $"model \"{modelId}\" on {address} has a {layout.TotalBytes}-byte image, the request expects {range.B} bytes: the layouts differ";
        if (range.Blob < 0 || range.A <= range.Blob || range.A > layout.Blobs.Count)
            return $"blobs {range.Blob}..{range.A} are not a range of model \"{modelId}\" ({layout.Blobs.Count} blobs)";
        if (range.C is < TransferRequest.MinChunkBytes or > TransferRequest.MaxChunkBytes)
            return $"chunk size {range.C} is outside {TransferRequest.MinChunkBytes}..{TransferRequest.MaxChunkBytes}";
        return null;
    }
}
