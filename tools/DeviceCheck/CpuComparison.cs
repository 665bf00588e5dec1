using System.Text.Json.Nodes;
using BlitzScale.Native.Compute.Cpu;
using BlitzScale.Native.Cuda.Engine;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// (c) Max abs logit difference, cuda vs cpu, on stories110m-shaped synthetic bf16 weights (fewer layers, to keep the
/// cpu side quick): a batched prefill and greedy decode steps (each backend following its own greedy choice would
/// diverge, so both are fed the cpu's tokens).
/// </summary>
internal static class CpuComparison
{
    private const int DecodeSteps = 4;

    public static JsonObject Run(bool quick)
    {
        var config = SyntheticShapes.Get("stories110m") with { NumLayers = quick ? 2 : 4 };
        string path = Models.WriteSynthetic(config, DType.BF16);
        try
        {
            using var directory = ModelDirectory.Open(path);
            using var image = directory.LoadImage();
            int layers = config.NumLayers, vocab = config.VocabSize;
            var prompts = SequenceRun.Prompts(vocab, 64, 17);
            var kv = new KvStoreShape(SequenceRun.BlocksFor(prompts, DecodeSteps), SequenceRun.BlockSize);
            using var cuda = CudaEngine.Open(directory.Layout, kv);
            cuda.LoadFrom(image);
            using var cpu = new CpuEngine(image, kv);

            var gpuLogits = new List<float[]>();
            var cpuLogits = SequenceRun.Run(prompts, DecodeSteps, vocab, layers, (batch, tokens) =>
            {
                var hidden = cpu.Embed(tokens);
                cpu.RunLayers(batch, hidden);
                var gpuHidden = cuda.Embed(tokens);
                cuda.RunLayers(batch, gpuHidden);
                gpuLogits.Add(cuda.Head(batch, gpuHidden));
                return cpu.Head(batch, hidden);
            });

            double maxLogit = cpuLogits.Max(l => l.Max(Math.Abs));
            int agree = 0, total = 0;
            for (int s = 0; s < cpuLogits.Count; s++)
            {
                for (int q = 0; q < prompts.Length; q++, total++)
                {
                    var a = cpuLogits[s].AsSpan(q * vocab, vocab);
                    var b = gpuLogits[s].AsSpan(q * vocab, vocab);
                    if (BlitzScale.Native.Sampling.Sampler.ArgMax(a) == BlitzScale.Native.Sampling.Sampler.ArgMax(b)) agree++;
                }
            }
            return new JsonObject
            {
                ["model"] = $"stories110m shape, {layers} layers, bf16 synthetic",
                ["max_abs_logit_diff"] = SequenceRun.MaxAbsDifference(cpuLogits, gpuLogits),
                ["max_abs_logit"] = maxLogit,
                ["greedy_agreement"] = $"{agree}/{total}",
            };
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
