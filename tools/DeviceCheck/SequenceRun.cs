using BlitzScale.Native.Engine;

namespace BlitzScale.DeviceCheck;

/// <summary>
/// A fixed workload for comparing runs: a batch of prompts prefilled together, then greedy decode steps of all of them
/// together, the logits of every step kept. <c>step</c> runs one batch on whatever engine(s) and returns its logits.
/// </summary>
internal static class SequenceRun
{
    public const int BlockSize = 16;

    public static List<float[]> Run(int[][] prompts, int decodeSteps, int vocab, int layers, Func<Batch, int[], float[]> step)
    {
        var tables = new int[prompts.Length][];
        int first = 0;
        for (int s = 0; s < prompts.Length; s++)
        {
            int count = (prompts[s].Length + decodeSteps + BlockSize - 1) / BlockSize;
            tables[s] = Enumerable.Range(first, count).ToArray();
            first += count;
        }
        var lengths = new int[prompts.Length];
        var steps = new List<float[]>();
        int[][] next = prompts;
        for (int i = 0; i <= decodeSteps; i++)
        {
            var batch = new Batch(tables.Select((t, s) => new BatchSegment(t, lengths[s], next[s].Length, 0, layers)).ToArray());
            float[] logits = step(batch, next.SelectMany(t => t).ToArray());
            for (int s = 0; s < prompts.Length; s++) lengths[s] += next[s].Length;
            steps.Add(logits);
            next = Enumerable.Range(0, prompts.Length).Select(s => new[] { BlitzScale.Native.Sampling.Sampler.ArgMax(logits.AsSpan(s * vocab, vocab)) }).ToArray();
        }
        return steps;
    }

    /// <summary>Blocks enough for the prompts and decode steps.</summary>
    public static int BlocksFor(int[][] prompts, int decodeSteps) =>
        prompts.Sum(p => (p.Length + decodeSteps + BlockSize - 1) / BlockSize);

    /// <summary>Largest |a - b| over all steps.</summary>
    public static double MaxAbsDifference(List<float[]> a, List<float[]> b) =>
        a.Zip(b).Max(pair => pair.First.Zip(pair.Second).Max(x => Math.Abs((double)x.First - x.Second)));

    /// <summary>Whether every float is bit-identical.</summary>
    public static bool BitIdentical(List<float[]> a, List<float[]> b) =>
        a.Count == b.Count && a.Zip(b).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    /// <summary>Prompts of the given lengths with ids drawn from a seeded generator, BOS (1) first.</summary>
    public static int[][] Prompts(int vocab, params int[] lengths)
    {
        var random = new Random(42);
        return lengths.Select(n => new[] { 1 }.Concat(Enumerable.Range(1, n - 1).Select(_ => random.Next(3, vocab))).ToArray()).ToArray();
    }
}
