using System.Runtime.CompilerServices;

namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// The one way anything generates through the grid: the model grain decides where (<see cref="IModelGrain.Route"/>), the
/// tokens stream from that instance's shard straight to the caller, and the ticket goes back when the stream ends. No
/// single activation relays a model's tokens. When the instance is lost mid-stream (its silo died, it was unloaded), the
/// request resumes on another instance from the tokens already delivered, and the caller sees one stream.
/// </summary>
public static class GridGeneration
{
    /// <summary>How many times one request may resume on another instance before it fails.</summary>
    public const int MaxResumes = 3;

    /// <summary>
    /// Streams a generation of <paramref name="model"/>: first the prompt and the instance, then each token, the last with
    /// its finish reason. Cancelling stops the request on its instance and frees its KV blocks. If the instance is lost
    /// (<see cref="ResumableGeneration.IsInstanceLoss"/>), the request is routed again and continues where it was: the
    /// new instance prefills the prompt and the tokens already delivered and generates the rest, so no token is lost or
    /// repeated and a greedy request's output is the one it would have had.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request can never be served (too long, bad sampling options).</exception>
    /// <exception cref="InvalidOperationException">No instance could take the request in time, or it was lost more than <see cref="MaxResumes"/> times.</exception>
    public static async IAsyncEnumerable<GenerationUpdate> GenerateAsync(
        this IGrainFactory grains, string model, GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(request);
        var router = grains.GetGrain<IModelGrain>(model);
        var hosts = ClusterHosts.Of(grains);
        var generation = new ResumableGeneration(request);
        RouteDecision? route = await Routed(router, wait => router.Route(EstimatedTokens(request), PromptTokens(request), wait), cancellationToken);
        // Why the request last moved, told with the first update after the move.
        string? movedBecause = null;
        try
        {
            while (true)
            {
                // The shard is active on its host already; the host in the context only matters if it had to be placed again.
                var current = route!;
                RequestContext.Set(HostContextKey, current.Host);
                var shard = grains.GetGrain<ILayerShardGrain>(current.Shard);
                var attempt = generation.Next();
                // Named, so that the watch can ask the shard how far this stream got (ILayerShardGrain.StreamProgress).
                if (attempt.RequestId is null) attempt = attempt with { RequestId = Guid.NewGuid().ToString("N") };
                string streamId = attempt.RequestId!;
                hosts.KeepFresh();
                int received = 0;
                Exception? lost = null;
                // The attempt's calls stop with the caller's, or when the watch gives the stream up (its silo declared dead).
                var attemptStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                bool abandoned = false, ended = false;
                var updates = shard.Generate(attempt, attemptStop.Token).GetAsyncEnumerator(attemptStop.Token);
                bool toldStarted = !current.ReportsStart;
                try
                {
                    while (true)
                    {
                        (bool more, lost) = await StreamWatch.Step(updates, current.Shard, current.Host, hosts, StreamWatch.Every, () =>
                        {
                            abandoned = true;
                            attemptStop.Cancel();
                        }, received, () => shard.StreamProgress(streamId), cancellationToken);
                        if (!more) break;
                        received++;
                        // The first token frees the prompt's room on its instance for the requests waiting at the model.
                        if (!toldStarted && updates.Current.TokenId >= 0)
                        {
                            toldStarted = true;
                            _ = RouterQuietly(router.Started(current.Ticket));
                        }
                        if (generation.Accept(updates.Current) is not { } update) continue;
                        if (movedBecause is not null)
                        {
                            update = update with { ResumedBecause = movedBecause };
                            movedBecause = null;
                        }
                        // The router counts the request where it runs now; the token does not wait for that.
                        if (update.HandedTo is { } partner) _ = RouterQuietly(router.HandedOver(current.Ticket, partner));
                        yield return update;
                        // The last update has come: nothing the stream still holds is the caller's. Its end is not waited for, since
                        // the ask for it can stand until the response timeout where its gateway died meanwhile (bench chaos at 5c5a666:
                        // two requests had all their tokens within 1.2 s of arriving and ended 30 s later).
                        if (generation.Finished)
                        {
                            ended = true;
                            break;
                        }
                    }
                }
                finally
                {
                    // A given-up stream's disposal would be one more call to the dead silo, unanswered for the response timeout;
                    // an ended one's need not be waited for either (the shard lets go of it when the call arrives).
                    if (abandoned || ended) _ = DisposeInBackground(updates, attemptStop);
                    else
                    {
                        await DisposeQuietly(updates);
                        attemptStop.Dispose();
                    }
                }
                // A loss after the last update (while the stream closed) leaves nothing to resume.
                if (lost is null || generation.Finished) yield break;
                if (generation.Resumes == MaxResumes)
                {
                    throw new InvalidOperationException(
                        $"model \"{model}\": request lost its instance {MaxResumes + 1} times (last {current.Shard}: {lost.Message}); {generation.Delivered} token(s) were delivered",
                        lost);
                }
                // A loss after a resume is most often the same fault seen again before membership and the model grain have
                // learned of it (a dead silo's gateway rejecting, a live partner not yet dropped): the pause lets them catch up,
                // so that one death does not spend all of a request's resumes within milliseconds.
                if (generation.Resumes > 0) await Task.Delay(ResumePause(generation.Resumes), cancellationToken);
                // Resume hands the lost ticket back itself, whatever it answers.
                route = null;
                generation.Resumed();
                movedBecause = lost is InstanceLostException ? lost.Message : $"instance {current.Shard} was lost: {lost.Message}";
                try
                {
                    var rest = generation.Next();
                    route = await Routed(router,
                        wait => router.Resume(current.Ticket, current.Shard, EstimatedTokens(rest), PromptTokens(rest), wait), cancellationToken);
                }
                catch (Exception e) when (e is InvalidOperationException or AdmissionQueueFullException)
                {
                    throw new InvalidOperationException(
                        $"model \"{model}\": instance {current.Shard} was lost after {generation.Delivered} token(s) ({lost.Message}) and no other instance can take the rest: {e.Message}",
                        e);
                }
            }
        }
        finally
        {
            if (route is not null) await Release(router, route.Ticket);
        }
    }

    /// <summary>The pause before a request's next resume once it has resumed <paramref name="resumes"/> times (≥ 1): 0.5 s, doubling, at most 2 s.</summary>
    public static TimeSpan ResumePause(int resumes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resumes);
        return TimeSpan.FromMilliseconds(Math.Min(2000, 500 * (1 << Math.Min(resumes - 1, 3))));
    }

    /// <summary>How long a call to the model grain is retried while its silo is gone and membership has not yet said so.</summary>
    public static readonly TimeSpan ModelGrainRetryLimit = TimeSpan.FromSeconds(60);

    // A route or resume call (named by the wait it is given), watched while it waits at the model grain and made again while
    // the grain cannot be reached or no longer holds it.
    private static Task<RouteDecision> Routed(IModelGrain router, Func<Guid, Task<RouteDecision>> call, CancellationToken cancellationToken) =>
        UntilReachable(() => RouteWatch.Watched(router, call, TimeProvider.System, cancellationToken), cancellationToken);

    // The model grain lives on some silo too: when that silo dies, calls fail until membership declares it dead and the
    // grain activates elsewhere (from its stored deployment). Runtime failures are retried, backing off, for a bounded time.
    private static async Task<T> UntilReachable<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        long started = TimeProvider.System.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await call().WaitAsync(cancellationToken);
            }
            catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, cancellationToken)
                && TimeProvider.System.GetElapsedTime(started) + pause < ModelGrainRetryLimit)
            {
                await Task.Delay(pause, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    // Hands the request's ticket back. The first try is awaited, so the router's count is right when the stream ends, but for
    // ReleaseWaitLimit at most: through a gateway that died meanwhile it stands until the response timeout (two requests of a
    // bench chaos run at c9d93c9 had every token and ended 30 s later), and the caller's stream must not end that late. A try
    // the runtime fails while the model grain lives on (a grain directory range moving after a silo died) would leave the
    // ticket open for good, and an instance with an open ticket drains for the whole drain time (an undeploy then outlasts
    // its caller's 30 s timeout): so it is tried again in the background, as long as other calls to the model grain are.
    // A try unanswered after ReleaseHedgeAfter is joined by a second (a release is idempotent): the first most likely went
    // through a gateway that died a moment before, and the runtime sends the second through one it still holds (bench chaos at
    // 3ff8d40: three requests at each of two kills ended at the 2 s limit).
    internal static async Task Release(IModelGrain router, long ticket, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        // Both clocks start now, so the limits count from the first try whatever the continuations' timing.
        using var clocks = new CancellationTokenSource();
        var hedge = Task.Delay(ReleaseHedgeAfter, time, clocks.Token);
        var limit = Task.Delay(ReleaseWaitLimit, time, clocks.Token);
        try
        {
            var first = ReleaseOrRetry(router, ticket);
            if (await Task.WhenAny(first, hedge) == first)
            {
                await first;
                return;
            }
            ClientMetrics.HandBackSecondTries.Add(1);
            var second = ReleaseOrRetry(router, ticket);
            var answered = await Task.WhenAny(first, second, limit);
            if (answered == limit)
            {
                ClientMetrics.HandBacksPastLimit.Add(1);
                // Both go on (and are retried if they fail) in the background.
                _ = RouterQuietly(first);
                _ = RouterQuietly(second);
                return;
            }
            _ = RouterQuietly(answered == first ? second : first);
            await answered;
        }
        finally
        {
            await clocks.CancelAsync();
        }
    }

    /// <summary>How long the end of a request's stream waits for its ticket's hand-back before leaving it to go on in the background.</summary>
    internal static readonly TimeSpan ReleaseWaitLimit = TimeSpan.FromSeconds(2);

    /// <summary>How long a hand-back may stand unanswered before a second try joins it.</summary>
    internal static readonly TimeSpan ReleaseHedgeAfter = TimeSpan.FromMilliseconds(250);

    private static async Task ReleaseOrRetry(IModelGrain router, long ticket)
    {
        try
        {
            await router.Release(ticket);
        }
        catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, CancellationToken.None))
        {
            _ = RouterQuietly(UntilReachable(async () =>
            {
                await router.Release(ticket);
                return 0;
            }, CancellationToken.None));
        }
    }

    // The router's bookkeeping only (a ticket handed back, a request counted where it runs now): a model grain that died took
    // its tickets with it, and nothing else is lost.
    private static async Task RouterQuietly(Task call)
    {
        try
        {
            await call;
        }
        catch (Exception e) when (ResumableGeneration.IsRuntimeFault(e, CancellationToken.None))
        {
        }
    }

    /// <summary>The request-context key that carries the host a call's target grain must be placed on.</summary>
    public const string HostContextKey = "blitz.host";

    /// <summary>Tokens a request may still cost its instance: its prompt (<see cref="PromptTokens"/>) and every token it may generate.</summary>
    public static long EstimatedTokens(GenerateRequest request) => PromptTokens(request) + Math.Max(0, request.MaxTokens);

    /// <summary>Tokens of a request's prompt: its ids, or about 4 characters a token of its text.</summary>
    public static long PromptTokens(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.PromptIds?.Length ?? request.Prompt.Length / 4 + 1;
    }

    // A given-up stream's enumerator, disposed without holding up the resume; whatever its disposal meets is the dead silo's.
    private static async Task DisposeInBackground(IAsyncEnumerator<GenerationUpdate> updates, CancellationTokenSource attemptStop)
    {
        try
        {
            await updates.DisposeAsync();
        }
        catch (Exception)
        {
        }
        finally
        {
            attemptStop.Dispose();
        }
    }

    // The enumerator of a dead silo's stream may fail to dispose too; the loss is already known.
    private static async Task DisposeQuietly(IAsyncEnumerator<GenerationUpdate> updates)
    {
        try
        {
            await updates.DisposeAsync();
        }
        catch (Exception e) when (ResumableGeneration.IsInstanceLoss(e, CancellationToken.None))
        {
        }
    }
}
