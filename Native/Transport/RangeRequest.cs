using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Transport;

/// <summary>What every blob server reads and checks of a peer's range request against the image it serves.</summary>
internal static class RangeRequest
{
    /// <summary>
    /// The model id and first chunk that follow a range request's header (the first chunk only after a
    /// <see cref="RequestKind.RangeFrom"/>, else 0); null when the peer closed first.
    /// </summary>
    public static async Task<(string ModelId, int FirstChunk)?> ReadTailAsync(Socket socket, RequestHeader range, CancellationToken cancellationToken)
    {
        var tail = new byte[range.ModelIdBytes + range.RangeTrailerBytes];
        if (!await SocketIo.ReceiveExactlyAsync(socket, tail, cancellationToken).ConfigureAwait(false)) return null;
        string modelId = Encoding.UTF8.GetString(tail, 0, range.ModelIdBytes);
        int firstChunk = range.Kind == RequestKind.RangeFrom ? BinaryPrimitives.ReadInt32LittleEndian(tail.AsSpan(range.ModelIdBytes)) : 0;
        return (modelId, firstChunk);
    }

    /// <summary>
    /// Why server <paramref name="address"/> refuses <paramref name="range"/> (image bytes in B, blobs Blob..A, chunk
    /// size C) from chunk <paramref name="firstChunk"/> of its first blob for <paramref name="modelId"/>, whose image has
    /// <paramref name="layout"/>; null when it is acceptable.
    /// </summary>
    public static string? Refusal(string address, string modelId, ImageLayout layout, RequestHeader range, int firstChunk = 0)
    {
        if (range.B != layout.TotalBytes)
            return $"model \"{modelId}\" on {address} has a {layout.TotalBytes}-byte image, the request expects {range.B} bytes: the layouts differ";
        if (range.Blob < 0 || range.A <= range.Blob || range.A > layout.Blobs.Count)
            return $"blobs {range.Blob}..{range.A} are not a range of model \"{modelId}\" ({layout.Blobs.Count} blobs)";
        if (range.C is < TransferRequest.MinChunkBytes or > TransferRequest.MaxChunkBytes)
            return $"chunk size {range.C} is outside {TransferRequest.MinChunkBytes}..{TransferRequest.MaxChunkBytes}";
        int chunks = ChunkPlan.ChunksIn(layout.Blobs[range.Blob].ByteLength, range.C);
        if (firstChunk < 0 || firstChunk > 0 && firstChunk >= chunks)
            return $"chunk {firstChunk} is not a chunk of blob {range.Blob} of model \"{modelId}\" ({chunks} chunks of {range.C} bytes)";
        return null;
    }
}
