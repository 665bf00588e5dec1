namespace BlitzScale.Native.Models.Image;

/// <summary>A checkpoint's tensors do not match what its config describes (missing tensor, wrong shape, mixed dtypes).</summary>
public sealed class ModelLayoutException(string source, string tensor, string message)
    : ModelFileException(source, $"{source}: tensor \"{tensor}\": {message}")
{
    /// <summary>The tensor that was wrong.</summary>
    public string Tensor { get; } = tensor;
}
