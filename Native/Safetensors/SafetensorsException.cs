namespace BlitzScale.Native.Safetensors;

/// <summary>A safetensors file, a sharded checkpoint's index, or a lookup in either is wrong.</summary>
/// <remarks>The message names the file, the tensor when one is involved, and what was expected and found.</remarks>
public sealed class SafetensorsException(string filePath, string? tensorName, string message)
    : ModelFileException(filePath, Format(filePath, tensorName, message))
{
    /// <summary>The tensor that was wrong, or null when the problem is not about one tensor.</summary>
    public string? TensorName { get; } = tensorName;

    private static string Format(string filePath, string? tensorName, string message) =>
        tensorName is null ? $"{filePath}: {message}" : $"{filePath}: tensor \"{tensorName}\": {message}";
}
