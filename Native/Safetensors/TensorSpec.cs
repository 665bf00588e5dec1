using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Safetensors;

/// <summary>A tensor to be written by <see cref="SafetensorsWriter"/>: name, element type and shape.</summary>
/// <param name="Name">The tensor's name in the header.</param>
/// <param name="DType">Element type of the bytes that will be written.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
public sealed record TensorSpec(string Name, DType DType, IReadOnlyList<long> Shape)
{
    /// <summary>Bytes the tensor occupies: element count times element size.</summary>
    public long ByteLength => checked(Shapes.ElementCount(Shape) * DType.Size());
}
