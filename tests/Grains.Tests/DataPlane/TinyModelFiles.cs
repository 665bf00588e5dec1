using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.DataPlane;

/// <summary>The synthetic "tiny" model's files (f32, the grid's seed) in a folder of their own, opened; both go on dispose.</summary>
internal sealed class TinyModelFiles : IDisposable
{
    private readonly TempDirectory _root = new();

    public TinyModelFiles()
    {
        string directory = _root.File("tiny");
        SyntheticModelWriter.Write(directory, SyntheticShapes.Get("tiny"), DType.F32, GridFixture.SyntheticSeed);
        Files = ModelDirectory.Open(directory);
    }

    public ModelDirectory Files { get; }

    public void Dispose()
    {
        Files.Dispose();
        _root.Dispose();
    }
}
