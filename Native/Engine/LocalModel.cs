using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Engine;

/// <summary>A model directory loaded whole into host memory on the cpu backend, with its tokenizer: one self-contained instance.</summary>
public sealed class LocalModel : IDisposable
{
    private LocalModel(ModelDirectory directory, ParameterImage image, TextTokenizer tokenizer)
    {
        Directory = directory;
        Image = image;
        Tokenizer = tokenizer;
        Engine = new CpuEngine(image, ContextStore(image.Layout.Config));
    }

    /// <summary>Most positions <see cref="ContextStore"/> holds: models with longer contexts would otherwise take tens of GiB of KV memory up front.</summary>
    public const int MaxContextStorePositions = 8192;

    /// <summary>
    /// A KV store for one sequence of the model's whole context (at most <see cref="MaxContextStorePositions"/>) in blocks of
    /// <see cref="Generator.DefaultBlockSize"/>: what a <see cref="Generator"/> needs for a request of that length.
    /// </summary>
    public static KvStoreShape ContextStore(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int positions = Math.Min(config.MaxPositionEmbeddings, MaxContextStorePositions);
        return new KvStoreShape((positions + Generator.DefaultBlockSize - 1) / Generator.DefaultBlockSize, Generator.DefaultBlockSize);
    }

    /// <summary>The files.</summary>
    public ModelDirectory Directory { get; }
    /// <summary>The parameters.</summary>
    public ParameterImage Image { get; }
    /// <summary>Text ↔ ids.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>The compute, with a KV store of <see cref="ContextStore"/>.</summary>
    public CpuEngine Engine { get; }

    /// <summary>Opens, validates and loads a model directory.</summary>
    public static LocalModel Open(string path)
    {
        var directory = ModelDirectory.Open(path);
        try
        {
            var tokenizer = directory.LoadTokenizer();
            return new LocalModel(directory, directory.LoadImage(), tokenizer);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>A generator over this model's engine.</summary>
    public Generator CreateGenerator() => new(Engine, Directory.Generation.EosTokenId);

    /// <summary>Frees the image and the mapping.</summary>
    public void Dispose()
    {
        Engine.Dispose();
        Image.Dispose();
        Directory.Dispose();
    }
}
