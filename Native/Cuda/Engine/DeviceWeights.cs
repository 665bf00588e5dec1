using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Cuda.Engine;

/// <summary>A tensor in the device image: its address and stored dtype.</summary>
internal readonly record struct DeviceTensor(ulong Pointer, DType DType);

/// <summary>
/// Device addresses of one decoder layer's tensors: the image's base plus the blob's offset plus the tensor's offset in
/// its blob, exactly the host <c>ParameterImage</c> layout. [q; k; v] and [gate; up] are each one matrix.
/// </summary>
internal sealed record DeviceLayerWeights(DeviceTensor InputNorm, DeviceTensor Qkv, DeviceTensor? QkvBias, DeviceTensor O,
    DeviceTensor PostNorm, DeviceTensor GateUp, DeviceTensor Down)
{
    public static DeviceLayerWeights Of(ImageLayout layout, ulong imageBase, int layer)
    {
        var blob = layout.Layer(layer);
        DeviceTensor T(string suffix) => At(imageBase, blob, blob[TensorNames.Layer(layer, suffix)]);
        return new DeviceLayerWeights(T(TensorNames.InputNorm), T(TensorNames.Q),
            layout.Config.AttentionBias ? T(TensorNames.QBias) : null,
            T(TensorNames.O), T(TensorNames.PostNorm), T(TensorNames.Gate), T(TensorNames.Down));
    }

    public static DeviceTensor At(ulong imageBase, ImageBlob blob, ImageTensor tensor) =>
        new(imageBase + (ulong)blob.Offset + (ulong)tensor.OffsetInBlob, tensor.DType);
}

/// <summary>The embedding table, the final norm and the head matrix (the embedding when tied).</summary>
internal sealed record DeviceHeadWeights(DeviceTensor Embedding, DeviceTensor FinalNorm, DeviceTensor Head)
{
    public static DeviceHeadWeights Of(ImageLayout layout, ulong imageBase)
    {
        LlamaConfig config = layout.Config;
        var embedding = DeviceLayerWeights.At(imageBase, layout.Embedding, layout.Embedding[TensorNames.Embedding]);
        var norm = DeviceLayerWeights.At(imageBase, layout.Head, layout.Head[TensorNames.FinalNorm]);
        var head = config.TieWordEmbeddings ? embedding : DeviceLayerWeights.At(imageBase, layout.Head, layout.Head[TensorNames.LmHead]);
        return new DeviceHeadWeights(embedding, norm, head);
    }
}
