using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Grains.Hosting;

/// <summary>
/// A cuda engine opened while its parameter image still fills (a live pair's new half): before each step it uploads the blobs
/// that have landed in the host image since, in image order, so it computes with the layers the host holds, as the cpu and
/// timed engines do by computing on the image itself. Every call runs on the device's thread, where the engine's context is
/// current, so the uploads do too.
/// </summary>
/// <remarks>
/// The upload runs on the device's thread before the step that needs it, not beside it on a second stream: a layer of
/// llama3-8b (436 MB in bf16) crosses an H200's PCIe in about 8 ms, once per layer per load. The host image is the data
/// plane's landing place for every backend; a load straight into device memory would skip that copy but not the wait for
/// the layer.
/// </remarks>
internal sealed class FillingCudaEngine(CudaEngine engine, ParameterImage image) : ILayerEngine
{
    /// <inheritdoc/>
    public LlamaConfig Config => engine.Config;

    /// <summary>The leading layers on the device (the host image may hold more until the next <see cref="CatchUp"/>).</summary>
    public int LoadedLayers => engine.LoadedLayers;

    /// <summary>The first of the trailing layers on the device with the head (the host image may hold more until the next <see cref="CatchUp"/>).</summary>
    public int LoadedSuffixFrom => engine.LoadedSuffixFrom;

    /// <inheritdoc/>
    public KvStoreShape KvShape => engine.KvShape;

    // Every blob is on the device: the engine serves on as a plain one, with nothing more to look for.
    private bool _whole;

    /// <summary>Uploads every blob landed in the host image and not yet on the device; returns how many. On the device's thread.</summary>
    public int CatchUp()
    {
        if (_whole) return 0;
        int uploaded = 0, missing = 0;
        for (int blob = 0; blob < image.Layout.Blobs.Count; blob++)
        {
            if (engine.IsLoaded(blob)) continue;
            if (!image.IsLoaded(blob))
            {
                missing++;
                continue;
            }
            engine.LoadBlob(image, blob);
            uploaded++;
        }
        _whole = missing == 0;
        return uploaded;
    }

    /// <inheritdoc/>
    public HiddenStates Embed(ReadOnlySpan<int> tokens)
    {
        CatchUp();
        return engine.Embed(tokens);
    }

    /// <inheritdoc/>
    public void RunLayers(Batch batch, HiddenStates hidden)
    {
        CatchUp();
        engine.RunLayers(batch, hidden);
    }

    /// <inheritdoc/>
    public float[] Head(Batch batch, HiddenStates hidden)
    {
        CatchUp();
        return engine.Head(batch, hidden);
    }

    /// <inheritdoc/>
    public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination) => engine.ReadKv(blocks, slice, destination);

    /// <inheritdoc/>
    public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source) => engine.WriteKv(blocks, slice, source);

    /// <inheritdoc/>
    public void Dispose() => engine.Dispose();
}
