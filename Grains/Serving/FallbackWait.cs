using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// How long a shard that lost its load's source waits before it fetches from its own fallback. The model grain plans such a
/// load again within milliseconds when it can, so the shard gives it a grace; but when the model grain's silo died with the
/// source (bench chaos, <c>--source-with-model-grain</c>), no plan comes until membership declares that silo dead, and the
/// whole grace was lost time. So the shard asks the model grain meanwhile, and a call that cannot be delivered ends the wait.
/// </summary>
internal static class FallbackWait
{
    /// <summary>The grace: the model grain plans again within milliseconds when it can (a GPU source beats storage).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Waits until <paramref name="grace"/> completes, or until <paramref name="askModelGrain"/> fails as the runtime fails
    /// an undeliverable call (<see cref="ResumableGeneration.IsRuntimeFault"/>), whichever comes first. Returns why the model
    /// grain could not be reached, or null when the grace ran out (an answer, or an error of the grain's own, waits for it).
    /// </summary>
    public static async Task<string?> WaitUnlessUnreachable(Func<Task> askModelGrain, Task grace)
    {
        ArgumentNullException.ThrowIfNull(askModelGrain);
        ArgumentNullException.ThrowIfNull(grace);
        var unreachable = Unreachable(askModelGrain);
        if (await Task.WhenAny(grace, unreachable) == unreachable && unreachable.Result is { } why) return why;
        await grace;
        return null;
    }

    private static async Task<string?> Unreachable(Func<Task> askModelGrain)
    {
        try
        {
            await askModelGrain();
            return null;
        }
        catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, CancellationToken.None))
        {
            // Orleans puts the inner exception's stack in the message: its first part says what failed.
            string message = e.Message;
            int stack = message.IndexOf("   at ", StringComparison.Ordinal);
            return $"{e.GetType().Name}: {(stack > 0 ? message[..stack] : message).Trim()}";
        }
        catch (Exception)
        {
            // The model grain's own error: it was reached, and the grace is left to it.
            return null;
        }
    }
}
