using System.CommandLine;
using System.Text.Json;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz deploy</c>, <c>blitz undeploy</c>, <c>blitz status</c> and <c>blitz silo</c>.</summary>
internal static class GridCommands
{
    public static Command Deploy()
    {
        var model = new Option<string>("--model") { Description = "Model directory, as the hosts see it", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name in the grid (default: the directory's name)" };
        var instances = new Option<int>("--instances") { Description = "Number of instances", DefaultValueFactory = _ => 1 };
        var gpus = new Option<string[]>("--gpus") { Description = "GPU keys host/gpuN, one per instance (default: spread over hosts)", AllowMultipleArgumentsPerToken = true };
        var kvBlocks = new Option<int?>("--kv-blocks") { Description = "KV-cache blocks per instance (default: from free GPU memory)" };
        var policy = new Option<string>("--policy")
        {
            Description = "How instances get parameters and serve: blitz (one host copy, peer GPUs multicast, live scaling), blitz-fast (blitz without live scaling), sllm (per-host cache with keep-alive), allcache (every host caches), static (fixed --instances, blitz-fast loading, no autoscaler)",
            DefaultValueFactory = _ => "blitz",
        };
        var keepAlive = new Option<double?>("--keep-alive") { Description = "sllm: seconds a host keeps its copy after its last use (default 300)" };
        var drain = new Option<double?>("--drain-seconds")
        {
            Description = "Seconds a stopped instance's requests have to finish there (scale-down, undeploy) before it is unloaded and they resume on another instance (default 30)",
        };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once loading has started instead of following it until the instances serve" };
        var json = new Option<bool>("--json") { Description = "Print the model's status as JSON at the end instead of progress" };
        var earlyBinding = new Option<bool>("--no-late-binding")
        {
            Description = "Route each request on arrival to the instance with the least outstanding tokens, to wait in its queue (default: an instance takes requests only while it has a free seat; the rest wait at the model, first come first served, for the first free seat)",
        };
        var autoscale = new AutoscaleArguments();
        var cluster = GridOptions.RunningCluster("deploy acts on a running grid");
        var clusterId = GridOptions.ClusterId();
        var connectTimeout = GridOptions.ConnectTimeout();
        var tls = new TlsArguments();
        var command = new Command("deploy", "Deploy a model onto a running grid and follow its instances loading")
        {
            model, name, instances, gpus, kvBlocks, policy, keepAlive, drain, earlyBinding, noWait, json, cluster, clusterId, connectTimeout,
        };
        foreach (var option in autoscale.All) command.Options.Add(option);
        foreach (var option in tls.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            var connection = GridOptions.Connection(parse, cluster, clusterId, connectTimeout, tls);
            GridOptions.Require(connection.Cluster, "deploy acts on a running grid");
            string dir = parse.GetValue(model)!;
            var (loadPolicy, isStatic) = LoadPolicyNames.ParseDeploy(parse.GetValue(policy)!);
            var autoscaleSettings = autoscale.Read(parse, isStatic);
            await using var grid = await GridSession.Open(connection, cancellation);
            string modelName = ModelNames.For(dir, parse.GetValue(name));
            bool asJson = parse.GetValue(json);
            var status = await LoadFollower.Run(grid, modelName, () => grid.Client.DeployAsync(modelName, new DeployRequest
            {
                ModelDirectory = dir,
                Instances = parse.GetValue(instances),
                Gpus = parse.GetValue(gpus) is { Length: > 0 } list ? list : null,
                KvBlocks = parse.GetValue(kvBlocks),
                Policy = loadPolicy,
                KeepAliveSeconds = parse.GetValue(keepAlive),
                DrainSeconds = parse.GetValue(drain),
                LateBinding = !parse.GetValue(earlyBinding),
                Autoscale = autoscaleSettings,
            }, cancellation), deployed => [$"deployed {deployed.Model}: {string.Join(", ", deployed.Instances.Select(i => $"{i.Shard} on {i.Gpu} ({i.State})"))}"],
                !parse.GetValue(noWait), asJson, cancellation);
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(status, CliJson.Indented));
            return Finish(status, parse.GetValue(instances), !parse.GetValue(noWait));
        }));
        return command;
    }

    /// <summary>Exit code 0 when the instances asked for serve (or, with <c>--no-wait</c>, load); else 1 with the line saying which did not.</summary>
    internal static int Finish(ModelStatus status, int wanted, bool followed)
    {
        if (LoadOutcome.Shortfall(status, wanted, followed) is not { } shortfall) return 0;
        Console.Error.WriteLine($"blitz: error: {shortfall}");
        return CliErrors.Failure;
    }

    public static Command Undeploy()
    {
        var model = new Option<string>("--model") { Description = "The deployed model's name", Required = true };
        var cluster = GridOptions.RunningCluster("undeploy acts on a running grid");
        var clusterId = GridOptions.ClusterId();
        var connectTimeout = GridOptions.ConnectTimeout();
        var tls = new TlsArguments();
        var command = new Command("undeploy", "Unload every instance of a model, drop its host copies and forget it") { model, cluster, clusterId, connectTimeout };
        foreach (var option in tls.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            var connection = GridOptions.Connection(parse, cluster, clusterId, connectTimeout, tls);
            GridOptions.Require(connection.Cluster, "undeploy acts on a running grid");
            string name = parse.GetValue(model)!;
            await using var grid = await GridSession.Open(connection, cancellation);
            // The model grain says whether it knows the model: undeploying one that is not deployed is a mistake to report.
            var before = await grid.Client.GetModelStatusAsync(name, cancellation);
            await grid.Client.UndeployAsync(name, cancellation);
            Console.WriteLine($"undeployed {name}: {before.Instances.Count} instance(s) unloaded");
            return 0;
        }));
        return command;
    }

    public static Command Status()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var cluster = GridOptions.RunningCluster("status reads a running grid");
        var clusterId = GridOptions.ClusterId();
        var connectTimeout = GridOptions.ConnectTimeout();
        var tls = new TlsArguments();
        var command = new Command("status", "Hosts, GPUs, memory, instances and their states, queues, tokens/s") { json, cluster, clusterId, connectTimeout };
        foreach (var option in tls.All) command.Options.Add(option);
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            var connection = GridOptions.Connection(parse, cluster, clusterId, connectTimeout, tls);
            GridOptions.Require(connection.Cluster, "status reads a running grid");
            await using var grid = await GridSession.Open(connection, cancellation);
            var status = await grid.Client.StatusAsync(cancellation);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(status, CliJson.Indented));
            else StatusTable.Write(status, Console.Out);
            return 0;
        }));
        return command;
    }

    public static Command Silo()
    {
        var command = new Command("silo", "Run a silo for this host (same options as `dotnet run --project Silo`: --host, --gpus, --redis, …)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((parse, _) => BlitzScale.Silo.BlitzSilo.RunAsync([.. parse.UnmatchedTokens]));
        return command;
    }
}
