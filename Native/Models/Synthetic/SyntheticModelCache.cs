using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Models.Synthetic;

/// <summary>
/// Synthetic models created once and reused, in <c>$BLITZSCALE_CACHE</c>, else <c>$XDG_CACHE_HOME/blitzscale</c>,
/// else <c>~/.cache/blitzscale</c>.
/// </summary>
public static class SyntheticModelCache
{
    /// <summary>The cache root.</summary>
    public static string Root =>
        Environment.GetEnvironmentVariable("BLITZSCALE_CACHE") is { Length: > 0 } explicitRoot ? explicitRoot
        : Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? Path.Combine(xdg, "blitzscale")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "blitzscale");

    /// <summary>The directory of a synthetic model, writing it first if it is not there yet.</summary>
    public static string GetOrCreate(string shape, DType dtype, ulong seed)
    {
        var config = SyntheticShapes.Get(shape);
        string directory = Path.Combine(Root, "models", $"{shape.ToLowerInvariant()}-{dtype.Name()}-seed{seed}");
        if (File.Exists(Path.Combine(directory, "model.safetensors")))
            return directory;

        // Write beside it and rename, so an interrupted or concurrent creation never leaves half a model.
        string staging = $"{directory}.tmp-{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        SyntheticModelWriter.Write(staging, config, dtype, seed);
        try
        {
            Directory.Move(staging, directory);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, "model.safetensors")))
        {
            Directory.Delete(staging, recursive: true); // another process won the race
        }
        return directory;
    }
}
