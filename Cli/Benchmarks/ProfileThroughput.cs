using BlitzScale.Native.Compute.Timed;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Cli.Benchmarks;

/// <summary>
/// What the cost profile says a timed instance can do for a closed-loop workload: the same batcher the instances run
/// (<see cref="ContinuousBatcher"/>, the same policy) replayed on a virtual clock, each step charged the profile's time
/// for its segments. No grid, no network, no threads: the grid's measured rate over this is how close a timed host comes
/// to the profile.
/// </summary>
internal static class ProfileThroughput
{
    /// <summary>
    /// Tokens per second the profile predicts for <paramref name="clients"/> closed-loop clients sending
    /// <paramref name="requests"/> requests of <paramref name="promptTokens"/> prompt tokens and <paramref name="maxTokens"/>
    /// generated tokens (never stopping early, as timed tokens are never EOS) to one instance.
    /// </summary>
    public static double Predict(CostProfile profile, double dilation, int layers, int contextLength, BatchPolicy policy,
        int clients, int requests, int promptTokens, int maxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requests);
        var batcher = new ContinuousBatcher(policy, layers, contextLength, eosId: -1);
        int[] prompt = [.. Enumerable.Repeat(3, promptTokens)];
        int submitted = 0;
        void Submit()
        {
            var admitted = batcher.TryEnqueue(new ServingSequence($"r{submitted++}", prompt, maxTokens, stopAtEos: false));
            if (!admitted.Accepted) throw new InvalidOperationException($"the profile prediction's request was refused: {admitted.Message}");
        }
        for (int c = 0; c < Math.Min(clients, requests); c++) Submit();

        double seconds = 0;
        long tokens = 0;
        while (batcher.Plan() is { } plan)
        {
            seconds += profile.StepSeconds(layers, plan.Segments.Select(s => s.Count), dilation);
            var sampled = new int[plan.Segments.Count];
            Array.Fill(sampled, 3);
            foreach (var e in batcher.Complete(plan, sampled))
            {
                if (e.TokenId >= 0) tokens++;
                if (e.Finish is not null && submitted < requests) Submit();
            }
        }
        return seconds > 0 ? tokens / seconds : 0;
    }
}
