using BlitzScale.Cli.Progress;
using BlitzScale.Grains.Interfaces.Serving;
using Spectre.Console;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Runs a deploy or a scale and follows the instances it left loading until each serves or fails: a progress bar per
/// instance on a terminal, plain lines when output is redirected, nothing but the caller's JSON with <c>--json</c>.
/// </summary>
internal static class LoadFollower
{
    /// <param name="start">Deploys or scales; returns the model's status once loading has started.</param>
    /// <param name="describeStart">The lines that say what <paramref name="start"/> did.</param>
    /// <param name="follow">False with <c>--no-wait</c>: return once loading has started.</param>
    public static async Task<ModelStatus> Run(GridSession grid, string model, Func<Task<ModelStatus>> start,
        Func<ModelStatus, IEnumerable<string>> describeStart, bool follow, bool json, CancellationToken cancellation)
    {
        using var following = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        // Subscribed (and the subscription in place) before starting, so no event of the new instances is missed.
        await using var watch = await grid.Client.WatchModelAsync(model);
        var events = watch.ReadAllAsync(following.Token).GetAsyncEnumerator(following.Token);
        var pending = events.MoveNextAsync().AsTask();
        try
        {
            var known = await KnownInstances(grid, model, cancellation);
            var status = await start();
            var output = json ? TextWriter.Null : Console.Out;
            foreach (string line in describeStart(status)) output.WriteLine(line);
            // Every instance the start made, including those that finished loading before it returned.
            var started = status.Instances.Where(i => !known.Contains(i.Shard)).ToList();
            var progress = new LoadProgress(started.Where(i => LoadingStates.IsLoading(i.State)).Select(i => (i.Shard, i.Gpu)));
            foreach (var done in started.Where(i => i.State is InstanceState.Serving or InstanceState.Failed)) progress.Finished(done);
            // Instances that served before the start returned are followed too: their outcome lines say so (a small model loads
            // from a peer or host copy in less time than the start takes to answer).
            if (!follow) return status;

            if (!json && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            {
                pending = await AnsiConsole.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
                    .StartAsync(context => Follow(events, pending, progress, new LiveLoadView(context)));
            }
            else
            {
                pending = await Follow(events, pending, progress, new PlainLoadView(output));
            }

            status = await grid.Client.GetModelStatusAsync(model, cancellation);
            foreach (var i in status.Instances.Where(i => i.LoadedFrom is not null && i.State != InstanceState.Warm))
                output.WriteLine($"{i.Shard} on {i.Gpu}: {i.State}, {i.LoadedBytes / 1e6:F1} MB in {i.LoadSeconds:F3} s from {i.LoadedFrom}");
            return status;
        }
        finally
        {
            await following.CancelAsync();
            try
            {
                // An enumerator may only be disposed once its pending step has ended.
                await pending;
            }
            catch (OperationCanceledException)
            {
                // The watch ends by cancellation.
            }
            await events.DisposeAsync();
        }
    }

    // The model's instances before the start (none when it is not deployed yet), asked of its model grain alone.
    private static async Task<HashSet<string>> KnownInstances(GridSession grid, string model, CancellationToken cancellation)
    {
        try
        {
            var status = await grid.Client.GetModelStatusAsync(model, cancellation);
            return status.Instances.Select(i => i.Shard).ToHashSet(StringComparer.Ordinal);
        }
        catch (KeyNotFoundException)
        {
            return [];
        }
    }

    /// <summary>Shows the plan and each instance's progress until every followed instance ended; returns the step still pending.</summary>
    private static async Task<Task<bool>> Follow(IAsyncEnumerator<ModelEvent> events, Task<bool> next, LoadProgress progress, ILoadView view)
    {
        foreach (var load in progress.Instances) view.Update(load, layerLanded: false);
        while (!progress.Done && await next)
        {
            var e = events.Current;
            if (e.Kind == ModelEventKind.Planned) view.Line($"plan: {e.Detail}");
            else if (e.Kind == ModelEventKind.Scaled) view.Line($"autoscaler: {e.Detail}");
            else if (progress.Apply(e) is { } load) view.Update(load, layerLanded: e.Kind == ModelEventKind.LayerReady);
            next = events.MoveNextAsync().AsTask();
        }
        return next;
    }
}
