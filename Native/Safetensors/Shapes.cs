namespace BlitzScale.Native.Safetensors;

/// <summary>Arithmetic and formatting shared by everything that handles tensor shapes.</summary>
internal static class Shapes
{
    // Indexed loop rather than foreach: enumerating an IReadOnlyList boxes an enumerator.
    public static long ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        for (int i = 0; i < shape.Count; i++)
            count = checked(count * shape[i]);
        return count;
    }

    public static string Format(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
