using BlitzScale.Native.Safetensors;

namespace BlitzScale.Native.Models.Image;

/// <summary>Fills a parameter image from a model's safetensors checkpoint, blob by blob.</summary>
public static unsafe class ImageLoader
{
    /// <summary>Builds the layout of a checkpoint for a config.</summary>
    public static ImageLayout LayoutOf(LlamaConfig config, SafetensorsCheckpoint checkpoint, string source) =>
        ImageLayout.Build(config, name => checkpoint.TryGet(name, out var t) ? (t.DType, t.Shape) : null, source);

    /// <summary>Copies one blob's tensors out of the checkpoint and marks the blob loaded.</summary>
    public static void LoadBlob(SafetensorsCheckpoint checkpoint, ParameterImage image, int blobIndex)
    {
        LoadBlobFrom(checkpoint, image, blobIndex, 0);
        image.MarkLoaded(blobIndex);
    }

    /// <summary>
    /// Copies the bytes of a blob from <paramref name="fromOffset"/> (in the blob) on, leaving the bytes before it
    /// untouched (they landed before, and a peer may be reading them); marks nothing loaded.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is outside the blob.</exception>
    public static void LoadBlobFrom(SafetensorsCheckpoint checkpoint, ParameterImage image, int blobIndex, long fromOffset)
    {
        var blob = image.Layout.Blobs[blobIndex];
        ArgumentOutOfRangeException.ThrowIfNegative(fromOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromOffset, blob.ByteLength);
        foreach (var tensor in blob.Tensors)
        {
            long skip = Math.Clamp(fromOffset - tensor.OffsetInBlob, 0, tensor.ByteLength);
            if (skip == tensor.ByteLength) continue;
            byte* src = checkpoint.FileOf(tensor.Name).GetPointer(tensor.Name);
            long bytes = tensor.ByteLength - skip;
            Buffer.MemoryCopy(src + skip, image.TensorPointer(blob, tensor) + skip, bytes, bytes);
        }
    }

    /// <summary>Copies every blob.</summary>
    public static void LoadAll(SafetensorsCheckpoint checkpoint, ParameterImage image)
    {
        for (int b = 0; b < image.Layout.Blobs.Count; b++)
            LoadBlob(checkpoint, image, b);
    }
}
