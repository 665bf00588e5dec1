using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving;

namespace BlitzScale.Grains.Tests.Serving;

/// <summary>Pulls for a LiveOld server under test, answered by the test instead of a partner shard.</summary>
internal static class LivePulls
{
    /// <summary>
    /// Pairs <paramref name="old"/> with <paramref name="partner"/>, offers it as many requests as <paramref name="pulls"/> holds
    /// and answers its pulls with them in turn. Each answer completes inline, so the server's continuation after a pull (the
    /// reservation) has run when the next pull is asked, and when this returns.
    /// </summary>
    public static async Task Answer(InstanceServer old, string partner, params LivePull[] pulls)
    {
        var asks = pulls.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var answers = pulls.Select(_ => new TaskCompletionSource<LivePull?>()).ToArray();
        int asked = 0;
        old.PairWith(partner, () =>
        {
            int n = asked++;
            asks[n].TrySetResult();
            return answers[n].Task;
        }, handOff: null);
        old.Offered(pulls.Length);
        for (int n = 0; n < pulls.Length; n++)
        {
            await asks[n].Task.WaitAsync(TimeSpan.FromSeconds(30));
            answers[n].SetResult(pulls[n]);
        }
    }
}
