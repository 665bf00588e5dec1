using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Safetensors;

/// <summary>Where one tensor lives in a safetensors file and what it holds.</summary>
/// <param name="Name">The tensor's name in the header.</param>
/// <param name="DType">Element type of the stored bytes.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
/// <param name="DataOffset">Absolute offset of the first byte in the file.</param>
/// <param name="ByteLength">Number of bytes the tensor occupies.</param>
public sealed record TensorInfo(string Name, DType DType, IReadOnlyList<long> Shape, long DataOffset, long ByteLength)
{
    /// <summary>Product of <see cref="Shape"/>; 1 for a scalar.</summary>
    public long ElementCount => Shapes.ElementCount(Shape);
}
