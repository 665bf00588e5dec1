using BlitzScale.Native.Models;

namespace BlitzScale.Native.Engine;

/// <summary>
/// A compute backend's view of one model instance, in layers: embed a batch, run any contiguous range of
/// decoder layers on its hidden states, run the head. Ranges can run on different instances with the
/// hidden states shipped between them; the result is bit-identical to running them in one place.
/// </summary>
public interface ILayerEngine
{
    /// <summary>The model shape.</summary>
    LlamaConfig Config { get; }

    /// <summary>Number of leading decoder layers whose parameters are present.</summary>
    int LoadedLayers { get; }

    /// <summary>Embeds the batch's tokens (one per row).</summary>
    HiddenStates Embed(ReadOnlySpan<int> tokens);

    /// <summary>Runs layers [<paramref name="first"/>, <paramref name="end"/>) in place, writing the batch's keys and values into <paramref name="cache"/>.</summary>
    void RunLayers(int first, int end, Batch batch, HiddenStates hidden, KvCache cache);

    /// <summary>Final norm and head on the last token of each segment: (segments, vocab) logits.</summary>
    float[] Head(Batch batch, HiddenStates hidden);
}
