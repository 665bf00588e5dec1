using System.CommandLine;
using System.Text.Json;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz scale</c>: scales a deployed model and shows its new instances loading until they serve.</summary>
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
        var json = new Option<bool>("--json") { Description = "Print the model's status as JSON at the end instead of progress" };
        var cluster = GridOptions.RunningCluster("scale acts on a running grid");
        var clusterId = GridOptions.ClusterId();
        var connectTimeout = GridOptions.ConnectTimeout();
        var tls = new TlsArguments();
        var command = new Command("scale", "Scale a deployed model up (peer-GPU multicast, Warm instances first) or down (to Warm)")
        {
            model, instances, gpus, sources, unload, fresh, noWait, json, cluster, clusterId, connectTimeout,
        };
        foreach (var option in tls.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            var connection = GridOptions.Connection(parse, cluster, clusterId, connectTimeout, tls);
            GridOptions.Require(connection.Cluster, "scale acts on a running grid");
            string name = parse.GetValue(model)!;
            // Said before connecting, which may take seconds; the model grain checks the rest (the maximum, the GPUs).
            if (parse.GetValue(instances) < 0) throw new ArgumentException($"--instances: expected 0 or more, found {parse.GetValue(instances)}");
            await using var grid = await GridSession.Open(connection, cancellation);
            bool asJson = parse.GetValue(json);
            var status = await LoadFollower.Run(grid, name, () => grid.Client.ScaleAsync(name, new ScaleRequest
            {
                Instances = parse.GetValue(instances),
                Gpus = parse.GetValue(gpus) is { Length: > 0 } g ? g : null,
                Sources = parse.GetValue(sources) is { Length: > 0 } s ? s : null,
                KeepWarm = !parse.GetValue(unload),
                ReviveWarm = !parse.GetValue(fresh),
            }, cancellation), started => started.Instances.Select(i => $"{i.Shard} on {i.Gpu}: {i.State}"), !parse.GetValue(noWait), asJson, cancellation);
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(status, CliJson.Indented));
            return GridCommands.Finish(status, parse.GetValue(instances), !parse.GetValue(noWait));
        }));
        return command;
    }
}
