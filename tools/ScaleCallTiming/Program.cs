using System.Diagnostics;
using System.Globalization;
using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Keys;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.ScaleCallTiming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;

// Times IModelGrain.Scale from 1 to 3 instances in an in-process cluster of three silos (host-a, host-b, host-c, one GPU
// each, cpu backend) and prints where the time went, from the step times the grains log. No testbed, no network namespace.
//   dotnet run --project tools/ScaleCallTiming -c Release -- [--model DIR] [--rounds N] [--policy blitz|blitz-fast|sllm|allcache]
// Round 1 pays for the JIT (bench live's warm-up); the medians are over the rounds after it.
var options = Options.Parse(args);
string modelDirectory = options.Model ?? SyntheticModelCache.GetOrCreate("stories110m", DType.F32, 42);
var steps = new StepLog();

var builder = new InProcessTestClusterBuilder(3);
builder.Options.ConfigureFileLogging = false;
builder.ConfigureSilo((silo, siloBuilder) =>
{
    string host = $"host-{(char)('a' + int.Parse(silo.SiloName["Silo_".Length..], CultureInfo.InvariantCulture))}";
    siloBuilder.Services.AddSingleton<ILoggerProvider>(steps);
    siloBuilder.AddBlitzScale(new GpuHostOptions { Host = host, Gpus = 1, GpuMemoryGiB = 4, Backend = GpuHostOptions.CpuBackend });
});
builder.ConfigureClient(client => client.AddMemoryStreams(StreamNames.Provider));
await using var cluster = builder.Build();
await cluster.DeployAsync();
var client = cluster.Client;
var model = client.GetGrain<IModelGrain>("scale-timing");

Console.WriteLine($"model {modelDirectory}, policy {options.Policy}, {options.Rounds} round(s), {Environment.ProcessorCount} cores");
var deployClock = Stopwatch.StartNew();
var deployed = await model.Deploy(new DeployRequest { ModelDirectory = modelDirectory, Instances = 1, Gpus = ["host-a/gpu0"], Policy = options.Policy });
Console.WriteLine($"deploy returned after {deployClock.Elapsed.TotalMilliseconds:0} ms");
await WaitServing(1);
await WaitHostCopies(deployed.HostCopies ?? []);
Print("deploy", steps.Take());

var rounds = new List<(double Call, double Full, IReadOnlyList<StepLine> Lines)>();
for (int round = 1; round <= options.Rounds; round++)
{
    var clock = Stopwatch.StartNew();
    await model.Scale(new ScaleRequest { Instances = 3, Gpus = ["host-b/gpu0", "host-c/gpu0"], ReviveWarm = false });
    double call = clock.Elapsed.TotalMilliseconds;
    await WaitServing(3);
    double full = clock.Elapsed.TotalMilliseconds;
    var lines = steps.Take();
    rounds.Add((call, full, lines));
    Console.WriteLine($"round {round}: scale call returned after {call:0} ms, all 3 serving after {full:0} ms");
    Print($"round {round}", lines);
    await model.Scale(new ScaleRequest { Instances = 1, KeepWarm = false });
    await WaitServing(1);
    steps.Take();
}
await model.Undeploy();

if (rounds.Count > 1)
{
    var warm = rounds.Skip(1).ToList();
    Console.WriteLine($"median of rounds 2-{rounds.Count}: scale call {Median(warm.Select(r => r.Call)):0} ms, all serving {Median(warm.Select(r => r.Full)):0} ms");
    foreach (string kind in new[] { "scale call", "scale-up", "load call" })
    {
        var of = warm.SelectMany(r => r.Lines.Where(l => l.Kind == kind)).ToList();
        if (of.Count == 0) continue;
        string parts = string.Join(", ", of[0].Steps.Select(s => s.Step).Distinct()
            .Select(step => $"{step} {Median(of.Select(l => l.Steps.Where(s => s.Step == step).Sum(s => s.Ms))):0.0}"));
        Console.WriteLine($"  {kind} (median of {of.Count}): {Median(of.Select(l => l.Ms)):0.0} ms: {parts}");
    }
}

async Task WaitServing(int count)
{
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        var status = await model.GetStatus();
        if (status.Instances.Count == count && status.Instances.All(i => i.State == InstanceState.Serving)) return;
        if (status.Instances.FirstOrDefault(i => i.State == InstanceState.Failed) is { } failed)
            throw new InvalidOperationException($"{failed.Shard} failed: {failed.Error}");
        if (deadline.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"not {count} serving instance(s) after 120 s");
        await Task.Delay(20);
    }
}

async Task WaitHostCopies(IReadOnlyList<string> hosts)
{
    foreach (string host in hosts)
    {
        var memory = client.GetGrain<IHostMemoryGrain>(new HostMemoryKey(host).ToString());
        while (!(await memory.GetStatus()).Copies.All(c => c.Complete)) await Task.Delay(20);
    }
}

static void Print(string title, IReadOnlyList<StepLine> lines)
{
    foreach (var line in lines)
        Console.WriteLine($"  {title} {line.Kind} {line.Subject}: {line.Ms:0.0} ms: {string.Join(", ", line.Steps.Select(s => $"{s.Step} {s.Ms:0.0}"))}");
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

/// <summary>The harness's command line.</summary>
internal sealed record Options(string? Model, int Rounds, LoadPolicy Policy)
{
    public static Options Parse(string[] args)
    {
        string? model = null;
        int rounds = 5;
        var policy = LoadPolicy.Blitz;
        for (int a = 0; a < args.Length; a++)
        {
            string Value() => a + 1 < args.Length ? args[++a] : throw new ArgumentException($"{args[a]} needs a value");
            switch (args[a])
            {
                case "--model": model = Value(); break;
                case "--rounds":
                    rounds = int.TryParse(Value(), CultureInfo.InvariantCulture, out int r) && r >= 1 ? r : throw new ArgumentException("--rounds: expected a whole number ≥ 1");
                    break;
                case "--policy":
                    string name = Value();
                    policy = Enum.GetValues<LoadPolicy>().FirstOrDefault(p => string.Equals(p.ToString().Replace("Fast", "-fast", StringComparison.Ordinal), name, StringComparison.OrdinalIgnoreCase), (LoadPolicy)(-1));
                    if (!Enum.IsDefined(policy)) throw new ArgumentException($"--policy: expected blitz, blitz-fast, sllm or allcache, found \"{name}\"");
                    break;
                default: throw new ArgumentException($"unknown option {args[a]} (options: --model DIR, --rounds N, --policy NAME)");
            }
        }
        return new Options(model, rounds, policy);
    }
}
