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
        Engine = new CpuEngine(image);
    }

    /// <summary>The files.</summary>
    public ModelDirectory Directory { get; }
    /// <summary>The parameters.</summary>
    public ParameterImage Image { get; }
    /// <summary>Text ↔ ids.</summary>
    public TextTokenizer Tokenizer { get; }
    /// <summary>The compute.</summary>
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
        Image.Dispose();
        Directory.Dispose();
    }
}
