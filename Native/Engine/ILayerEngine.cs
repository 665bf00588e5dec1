using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// A compute backend's view of one model instance, in layers: embed a batch, run decoder layers on its hidden
/// states (each segment its own contiguous range), run the head. The engine owns its KV store. Ranges can run on
/// different instances with the hidden states shipped between them; the result is bit-identical to running them
/// in one place.
/// </summary>
public interface ILayerEngine : IDisposable
{
    /// <summary>The model shape.</summary>
    LlamaConfig Config { get; }

    /// <summary>Number of leading decoder layers whose parameters are present.</summary>
    int LoadedLayers { get; }

    /// <summary>
    /// The first of the trailing decoder layers whose parameters are present with the head's: an instance whose layers land last
    /// first runs <c>[LoadedSuffixFrom, L)</c> and the head for a partner. L (<see cref="LlamaConfig.NumLayers"/>) while the
    /// head has not landed; 0 once every layer has.
    /// </summary>
    int LoadedSuffixFrom { get; }

    /// <summary>The KV store this engine owns (blocks × block size, all layers).</summary>
    KvStoreShape KvShape { get; }

    /// <summary>Embeds the batch's tokens (one per row).</summary>
    HiddenStates Embed(ReadOnlySpan<int> tokens);

    /// <summary>
    /// Runs every segment's own layer range [FirstLayer, EndLayer) (within the loaded prefix [0, <see cref="LoadedLayers"/>) or the loaded suffix [<see cref="LoadedSuffixFrom"/>, L)) in place,
    /// writing each segment's keys and values into the engine's own KV store. Segments with an empty range are left
    /// untouched.
    /// </summary>
    /// <exception cref="ArgumentException">A segment's range is beyond the loaded layers, or its blocks are outside the store or too few.</exception>
    void RunLayers(Batch batch, HiddenStates hidden);

    /// <summary>Final norm and head on the last token of each segment: (segments, vocab) logits.</summary>
    float[] Head(Batch batch, HiddenStates hidden);

    /// <summary>
    /// Copies <paramref name="slice"/> of the sequence whose KV blocks are <paramref name="blocks"/> out of the store into
    /// <paramref name="destination"/>, in <see cref="KvSlice"/>'s layout: what a live pair moves when a split request goes whole
    /// to its LiveOld.
    /// </summary>
    /// <exception cref="ArgumentException">The slice does not fit the model, the store or the blocks, or the destination's length differs (<see cref="KvSlice.Check"/>).</exception>
    void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination);

    /// <summary>Writes <paramref name="source"/> (<see cref="KvSlice"/>'s layout) into the store as <paramref name="slice"/> of the sequence whose KV blocks are <paramref name="blocks"/>.</summary>
    /// <exception cref="ArgumentException">The slice does not fit the model, the store or the blocks, or the source's length differs.</exception>
    void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source);
}
