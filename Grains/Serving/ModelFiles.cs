using BlitzScale.Grains.Hosting;
using BlitzScale.Native.Models;

namespace BlitzScale.Grains.Serving;

/// <summary>Opens a model directory as this host sees it.</summary>
internal static class ModelFiles
{
    /// <summary>
    /// Opens <paramref name="directory"/> (relative paths resolve against the host's models directory). A bad model
    /// directory is a bad argument; Native's model-file exceptions have no Orleans codec, so only an ArgumentException
    /// carries their message (file, field, what was wrong) to the caller.
    /// </summary>
    public static ModelDirectory Open(GpuHostOptions host, string directory)
    {
        string path = Path.IsPathRooted(directory) || host.ModelsDirectory is null ? directory : Path.Combine(host.ModelsDirectory, directory);
        try
        {
            return ModelDirectory.Open(path);
        }
        catch (Exception e) when (e is Native.ModelFileException or DirectoryNotFoundException)
        {
            throw new ArgumentException(e.Message);
        }
    }
}
