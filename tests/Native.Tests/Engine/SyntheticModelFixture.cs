using BlitzScale.Tests.Shared;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tests.Safetensors;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>
/// The "tiny" synthetic model (4 layers, GQA), written with a fixed seed into a temp directory once
/// per test class and per dtype, the first time a test asks for that dtype.
/// </summary>
public sealed class SyntheticModelFixture : IDisposable
{
    public const ulong Seed = 260611;

    private readonly TempDirectory _root = new();
    private readonly Dictionary<DType, LocalModel> _models = [];

    /// <summary>The shape of every model of the fixture.</summary>
    public LlamaConfig Config { get; } = SyntheticShapes.Get("tiny");

    /// <summary>The whole model in <paramref name="dtype"/>, loaded.</summary>
    public LocalModel Model(DType dtype)
    {
        if (_models.TryGetValue(dtype, out var model)) return model;
        string directory = _root.File(dtype.Name());
        SyntheticModelWriter.Write(directory, Config, dtype, Seed);
        model = LocalModel.Open(directory);
        _models.Add(dtype, model);
        return model;
    }

    /// <summary>A parameter image holding only <paramref name="blobs"/>, as an instance that received part of the model has.</summary>
    public ParameterImage PartialImage(DType dtype, IEnumerable<int> blobs)
    {
        var model = Model(dtype);
        var image = ParameterImage.Allocate(model.Directory.Layout);
        foreach (int blob in blobs.Distinct())
            ImageLoader.LoadBlob(model.Directory.Checkpoint, image, blob);
        return image;
    }

    public void Dispose()
    {
        foreach (var model in _models.Values) model.Dispose();
        _root.Dispose();
    }
}
