using System.CommandLine;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz scale</c>: scales a deployed model and shows its new instances' layers landing until they serve.</summary>
internal static class ScaleCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The deployed model's name", Required = true };
        var instances = new Option<int>("--instances") { Description = "Instances wanted (fewer stops the newest, keeping them Warm)", Required = true };
        var gpus = new Option<string[]>("--gpus") { Description = "GPU keys host/gpuN for the new instances, one each (default: chosen)", AllowMultipleArgumentsPerToken = true };
        var sources = new Option<string[]>("--sources") { Description = "GPU keys allowed to send parameters (default: every GPU holding the model)", AllowMultipleArgumentsPerToken = true };
        var unload = new Option<bool>("--unload") { Description = "Scaling down: unload the stopped instances instead of keeping them Warm" };
        var fresh = new Option<bool>("--no-revive") { Description = "Scaling up: load new instances even where Warm ones could be revived" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once loading has started instead of following it" };
        var cluster = GridOptions.Cluster();
        var clusterId = GridOptions.ClusterId();
        var command = new Command("scale", "Scale a deployed model up (peer-GPU multicast, Warm instances first) or down (to Warm)")
        {
            model, instances, gpus, sources, unload, fresh, noWait, cluster, clusterId,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            string? clusterValue = parse.GetValue(cluster)
                ?? throw new ArgumentException("--cluster is required: scale acts on a running grid (localhost[:port] or redis://host:port)");
            string name = parse.GetValue(model)!;
            await using var grid = await GridSession.Open(clusterValue, parse.GetValue(clusterId)!, cancellation);
            using var following = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            // Subscribed before scaling, so no event of the new instances is missed.
            var events = grid.Client.WatchAsync(name, following.Token).GetAsyncEnumerator(following.Token);
            var pending = events.MoveNextAsync().AsTask();
            var status = await grid.Client.ScaleAsync(name, new ScaleRequest
            {
                Instances = parse.GetValue(instances),
                Gpus = parse.GetValue(gpus) is { Length: > 0 } g ? g : null,
                Sources = parse.GetValue(sources) is { Length: > 0 } s ? s : null,
                KeepWarm = !parse.GetValue(unload),
                ReviveWarm = !parse.GetValue(fresh),
            }, cancellation);
            var loading = status.Instances.Where(i => i.State == InstanceState.Loading).Select(i => i.Shard).ToHashSet();
            foreach (var i in status.Instances) Console.WriteLine($"{i.Shard} on {i.Gpu}: {i.State}");
            if (!parse.GetValue(noWait) && loading.Count > 0)
            {
                pending = await Follow(events, pending, loading);
                status = (await grid.Client.StatusAsync(cancellation)).Models.Single(m => m.Model == name);
                foreach (var i in status.Instances.Where(i => i.LoadedFrom is not null && i.State != InstanceState.Warm))
                    Console.WriteLine($"{i.Shard} on {i.Gpu}: {i.State}, {i.LoadedBytes / 1e6:F1} MB in {i.LoadSeconds:F3} s from {i.LoadedFrom}");
            }
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
            return status.Instances.Any(i => i.State == InstanceState.Failed) ? 1 : 0;
        }));
        return command;
    }

    /// <summary>Prints the plan and each landed layer until every loading instance serves or fails; returns the step still pending.</summary>
    private static async Task<Task<bool>> Follow(IAsyncEnumerator<ModelEvent> events, Task<bool> next, HashSet<string> loading)
    {
        while (loading.Count > 0 && await next)
        {
            var e = events.Current;
            switch (e.Kind)
            {
                case ModelEventKind.Planned:
                    Console.WriteLine($"plan: {e.Detail}");
                    break;
                case ModelEventKind.LayerReady when loading.Contains(e.Shard):
                    Console.WriteLine($"{e.Shard}: {e.LoadedLayers}/{e.TotalLayers} layers, {e.Bytes / 1e6:F1}/{e.TotalBytes / 1e6:F1} MB, {e.ElapsedMs / 1000:F2} s");
                    break;
                case ModelEventKind.Serving or ModelEventKind.Failed when loading.Remove(e.Shard):
                    Console.WriteLine($"{e.Shard}: {e.Kind}: {e.Detail}");
                    break;
            }
            next = events.MoveNextAsync().AsTask();
        }
        return next;
    }
}
