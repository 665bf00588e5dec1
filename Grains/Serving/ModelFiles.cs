using BlitzScale.Grains.Hosting;
using BlitzScale.Native.Models;
using BlitzScale.Native.Tokenization;

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

    /// <summary>
    /// Checks <paramref name="directory"/> as a deploy must before anything loads: config.json, the safetensors headers
    /// against the config, and the tokenizer file (read whole, so an empty or corrupt one is found now, not after the
    /// weights have landed).
    /// </summary>
    /// <exception cref="ArgumentException">A file is missing or malformed; the message names the file and the problem.</exception>
    public static ModelDirectory OpenChecked(GpuHostOptions host, string directory, TokenizerCache tokenizers)
    {
        var model = Open(host, directory);
        try
        {
            tokenizers.Get(model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The tokenizer of an open model directory; a bad tokenizer file is a bad argument naming it.</summary>
    public static TextTokenizer Tokenizer(ModelDirectory model)
    {
        try
        {
            return model.LoadTokenizer();
        }
        catch (Native.ModelFileException e)
        {
            throw new ArgumentException(e.Message);
        }
    }
}
