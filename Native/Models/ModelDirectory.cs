using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Safetensors;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Models;

/// <summary>
/// A Hugging Face model directory opened for serving: config, generation config, the memory-mapped
/// checkpoint and the parameter image layout derived from them. Tokenizer loading is separate so that
/// hosts that only move parameters need not read it.
/// </summary>
public sealed class ModelDirectory : IDisposable
{
    private ModelDirectory(string path, LlamaConfig config, GenerationConfig generation, SafetensorsCheckpoint checkpoint, ImageLayout layout)
    {
        Path = path;
        Config = config;
        Generation = generation;
        Checkpoint = checkpoint;
        Layout = layout;
    }

    /// <summary>The directory.</summary>
    public string Path { get; }
    /// <summary>The model shape.</summary>
    public LlamaConfig Config { get; }
    /// <summary>BOS/EOS ids.</summary>
    public GenerationConfig Generation { get; }
    /// <summary>The weights, memory-mapped.</summary>
    public SafetensorsCheckpoint Checkpoint { get; }
    /// <summary>The parameter image layout of these weights.</summary>
    public ImageLayout Layout { get; }

    /// <summary>Opens and validates a model directory.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing or malformed; the message names it.</exception>
    public static ModelDirectory Open(string path)
    {
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"model directory not found: {path}");
        var config = LlamaConfig.Load(path);
        var generation = GenerationConfig.Load(path, config);
        var checkpoint = SafetensorsCheckpoint.Open(path);
        try
        {
            var layout = ImageLoader.LayoutOf(config, checkpoint, path);
            return new ModelDirectory(path, config, generation, checkpoint, layout);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Allocates a parameter image and loads every blob into it.</summary>
    public ParameterImage LoadImage()
    {
        var image = ParameterImage.Allocate(Layout);
        ImageLoader.LoadAll(Checkpoint, image);
        return image;
    }

    /// <summary>Loads the directory's tokenizer (<see cref="TextTokenizer.Open"/>) with its BOS/EOS ids, checking it fits the model's vocabulary.</summary>
    /// <exception cref="ModelFileException">The tokenizer is missing, malformed, or larger than config.json's vocab_size.</exception>
    public TextTokenizer LoadTokenizer()
    {
        var tokenizer = TextTokenizer.Open(Path, Generation.BosTokenId, Generation.EosTokenId);
        if (tokenizer.VocabSize > Config.VocabSize)
        {
            throw new ModelConfigException(tokenizer.FilePath,
                $"the tokenizer has {tokenizer.VocabSize} pieces but config.json's vocab_size is {Config.VocabSize}");
        }
        return tokenizer;
    }

    /// <summary>Closes the checkpoint mapping.</summary>
    public void Dispose() => Checkpoint.Dispose();
}
