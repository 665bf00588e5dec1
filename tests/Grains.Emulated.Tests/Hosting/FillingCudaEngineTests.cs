using BlitzScale.Grains.Hosting;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Hosting;

/// <summary>
/// A live pair's new half on the cuda backend (<see cref="FillingCudaEngine"/>, on the CPU emulator here): it computes with
/// the layers that have landed in the host image, uploads each later one before the step that follows, and gives the same
/// logits, bit for bit, as an engine opened over the whole image.
/// </summary>
public sealed class FillingCudaEngineTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315];

    [SkippableFact]
    public void It_runs_the_landed_layers_then_catches_up_and_matches_an_engine_over_the_whole_image()
    {
        var probe = CudaRuntime.Probe();
        Skip.IfNot(probe.Available, probe.Reason);
        using var directory = ModelDirectory.Open(RepositoryPaths.ShippedStories260K);
        using var whole = directory.LoadImage();
        using var filling = ParameterImage.Allocate(directory.Layout);
        var layout = directory.Layout;
        int layers = directory.Config.NumLayers;
        var kv = new KvStoreShape(4, 16);
        var host = new GpuHostOptions { Backend = GpuHostOptions.CudaBackend, Gpus = 1 };

        // The embedding and the first two layers have landed (the image's blobs are in load order: embedding, layers, the rest).
        int split = 2;
        int landed = 0;
        void Land(int blobs)
        {
            for (; landed < blobs; landed++)
            {
                whole.BlobBytes(landed).CopyTo(filling.BlobBytes(landed));
                filling.MarkLoaded(landed);
            }
        }
        Land(1 + split);
        Assert.Equal(split, filling.LoadedLayerPrefix);

        using var engine = ComputeBackends.CreateFilling(host, 0, filling, kv);
        var live = Assert.IsType<FillingCudaEngine>(engine);
        Assert.Equal(split, engine.LoadedLayers);
        var hidden = engine.Embed(Prompt);
        engine.RunLayers(Batch.Single([0], 0, Prompt.Length, 0, split), hidden);
        // A layer that has not landed cannot run.
        var beyond = new HiddenStates(hidden.Tokens, hidden.Width);
        Assert.Throws<ArgumentException>(() => engine.RunLayers(Batch.Single([1], 0, Prompt.Length, split, split + 1), beyond));

        // The rest lands; the next step uploads it first.
        Land(layout.Blobs.Count);
        Assert.Equal(split, engine.LoadedLayers);
        var batch = Batch.Single([0], 0, Prompt.Length, split, layers);
        engine.RunLayers(batch, hidden);
        Assert.Equal(layers, engine.LoadedLayers);
        Assert.Equal(0, live.CatchUp());
        float[] logits = engine.Head(Batch.Single([0], 0, Prompt.Length, 0, layers), hidden);

        using var reference = CudaEngine.Open(layout, kv);
        reference.LoadFrom(whole);
        var expected = reference.Embed(Prompt);
        reference.RunLayers(Batch.Single([0], 0, Prompt.Length, 0, layers), expected);
        Assert.Equal(reference.Head(Batch.Single([0], 0, Prompt.Length, 0, layers), expected), logits);
    }
}
