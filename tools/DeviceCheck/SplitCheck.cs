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
        var config = directory.Config;
        int layers = config.NumLayers, vocab = config.VocabSize;
        var prompts = SequenceRun.Prompts(vocab, 40, 7, 1, 33);
        int blocks = SequenceRun.BlocksFor(prompts, DecodeSteps);
        // One KV store for every run: each run writes every position before it reads it.
        using var engine = CudaEngine.Open(directory.Layout, new KvStoreShape(blocks, SequenceRun.BlockSize));
        engine.LoadFrom(image);

        var whole = SequenceRun.Run(prompts, DecodeSteps, vocab, layers, (batch, tokens) =>
        {
            var hidden = engine.Embed(tokens);
            engine.RunLayers(batch, hidden);
            return engine.Head(batch, hidden);
        });

        var splits = new JsonArray();
        bool all = true;
        for (int k = 0; k <= layers; k++)
        {
            int split = k;
            var parts = SequenceRun.Run(prompts, DecodeSteps, vocab, layers, (batch, tokens) =>
            {
                var hidden = engine.Embed(tokens);
                engine.RunLayers(batch.WithLayers(0, split), hidden);
                // Through bytes, as between two instances.
                hidden = HiddenStates.FromBytes(hidden.ToBytes());
                engine.RunLayers(batch.WithLayers(split, layers), hidden);
                return engine.Head(batch, hidden);
            });
            bool identical = SequenceRun.BitIdentical(whole, parts);
            all &= identical;
            splits.Add((JsonNode)new JsonObject { ["k"] = k, ["bit_identical"] = identical, ["max_abs_diff"] = SequenceRun.MaxAbsDifference(whole, parts) });
        }
        return new JsonObject { ["model"] = "stories260K f32", ["all_bit_identical"] = all, ["splits"] = splits };
    }
}
