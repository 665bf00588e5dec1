using System.Text.Json.Nodes;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// (b) Split invariance on the GPU: layers [0, k) then [k, L), the hidden states crossing the host boundary between
/// the two calls, give the same logits as [0, L) in one call, for every k, over a batched prefill and decode steps.
/// </summary>
internal static class SplitCheck
{
    private const int DecodeSteps = 4;

    public static JsonObject Run(string? shared)
    {
        using var directory = ModelDirectory.Open(Models.Stories260K(shared));
        using var image = directory.LoadImage();
        using var engine = CudaEngine.Open(directory.Layout);
        engine.LoadFrom(image);
        var config = directory.Config;
        int layers = config.NumLayers, vocab = config.VocabSize;
        var prompts = SequenceRun.Prompts(vocab, 40, 7, 1, 33);
        int blocks = SequenceRun.BlocksFor(prompts, DecodeSteps);

        var wholeCache = new KvCache(config, 0, layers, blocks, SequenceRun.BlockSize);
        var whole = SequenceRun.Run(prompts, DecodeSteps, vocab, (batch, tokens, cache) =>
        {
            var hidden = engine.Embed(tokens);
            engine.RunLayers(0, layers, batch, hidden, cache);
            return engine.Head(batch, hidden);
        }, wholeCache);
        engine.Release(wholeCache);

        var splits = new JsonArray();
        bool all = true;
        for (int k = 0; k <= layers; k++)
        {
            int split = k;
            var cache = new KvCache(config, 0, layers, blocks, SequenceRun.BlockSize);
            var parts = SequenceRun.Run(prompts, DecodeSteps, vocab, (batch, tokens, c) =>
            {
                var hidden = engine.Embed(tokens);
                engine.RunLayers(0, split, batch, hidden, c);
                // Through bytes, as between two instances.
                hidden = HiddenStates.FromBytes(hidden.ToBytes());
                engine.RunLayers(split, layers, batch, hidden, c);
                return engine.Head(batch, hidden);
            }, cache);
            engine.Release(cache);
            bool identical = SequenceRun.BitIdentical(whole, parts);
            all &= identical;
            splits.Add((JsonNode)new JsonObject { ["k"] = k, ["bit_identical"] = identical, ["max_abs_diff"] = SequenceRun.MaxAbsDifference(whole, parts) });
        }
        return new JsonObject { ["model"] = "stories260K f32", ["all_bit_identical"] = all, ["splits"] = splits };
    }
}
