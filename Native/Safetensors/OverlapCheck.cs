namespace BlitzScale.Native.Safetensors;

/// <summary>Rejects headers in which two tensors claim the same bytes.</summary>
internal static class OverlapCheck
{
    public static void Run(string path, IEnumerable<TensorInfo> tensors)
    {
        // Empty tensors own no bytes, so they cannot overlap anything, wherever their offsets point.
        var sorted = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataOffset).ToArray();
        TensorInfo? furthest = null;
        foreach (var tensor in sorted)
        {
            if (furthest is not null && tensor.DataOffset < End(furthest))
            {
                throw new SafetensorsException(path, tensor.Name,
                    $"bytes [{tensor.DataOffset}, {End(tensor)}) overlap tensor \"{furthest.Name}\" "
                    + $"at [{furthest.DataOffset}, {End(furthest)}) (absolute file offsets)");
            }
            if (furthest is null || End(tensor) > End(furthest)) furthest = tensor;
        }
    }

    private static long End(TensorInfo tensor) => tensor.DataOffset + tensor.ByteLength;
}
