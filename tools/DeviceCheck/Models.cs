using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.DeviceCheck;

/// <summary>Where the checks' models come from: ../shared's stories260K, and synthetic weights written to a temp directory.</summary>
internal static class Models
{
    /// <summary>The stories260K directory under <paramref name="shared"/> (default: ../shared beside the working directory).</summary>
    /// <exception cref="DirectoryNotFoundException">It is not there; the message says where it was looked for.</exception>
    public static string Stories260K(string? shared)
    {
        string root = shared ?? Path.Combine("..", "shared");
        string model = Path.GetFullPath(Path.Combine(root, "models", "stories260K"));
        return Directory.Exists(model)
            ? model
            : throw new DirectoryNotFoundException($"stories260K not found at {model}: pass --shared DIR, the folder holding models/stories260K");
    }

    /// <summary>Writes a synthetic model of <paramref name="config"/> into a fresh temp directory (deleted by the caller).</summary>
    public static string WriteSynthetic(LlamaConfig config, DType dtype)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"blitz-devicecheck-{Guid.NewGuid():N}");
        SyntheticModelWriter.Write(directory, config, dtype, seed: 20260611);
        return directory;
    }
}
