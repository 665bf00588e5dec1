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
        var blob = image.Layout.Blobs[blobIndex];
        foreach (var tensor in blob.Tensors)
        {
            byte* src = checkpoint.FileOf(tensor.Name).GetPointer(tensor.Name);
            Buffer.MemoryCopy(src, image.TensorPointer(blob, tensor), tensor.ByteLength, tensor.ByteLength);
        }
        image.MarkLoaded(blobIndex);
    }

    /// <summary>Copies every blob.</summary>
    public static void LoadAll(SafetensorsCheckpoint checkpoint, ParameterImage image)
    {
        for (int b = 0; b < image.Layout.Blobs.Count; b++)
            LoadBlob(checkpoint, image, b);
    }
}
