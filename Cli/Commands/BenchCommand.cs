using System.CommandLine;
using System.Text.Json;
using BlitzScale.Cli.Benchmarks;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Tensors;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Cli.Commands;

/// <summary><c>blitz bench</c>: benchmarks that write JSON reports.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks, each measured against its baseline in the same run");
        command.Subcommands.Add(Engine());
        command.Subcommands.Add(Serve());
        command.Subcommands.Add(Link());
        command.Subcommands.Add(Multicast());
        command.Subcommands.Add(Live());
        command.Subcommands.Add(BenchReplayCommand.Create());
        command.Subcommands.Add(BenchChaosCommand.Create());
        command.Subcommands.Add(ChunkMac());
        return command;
    }

    private static Command ChunkMac()
    {
        var mib = new Option<int>("--mib") { Description = "Image size in MiB, sent whole each round", DefaultValueFactory = _ => 512 };
        var chunkMib = new Option<int>("--chunk-mib") { Description = "Chunk size in MiB (the data plane's default is 4)", DefaultValueFactory = _ => 4 };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds, each one transfer without and one with chunk MACs per transport (after one warm-up round)", DefaultValueFactory = _ => 5 };
        var json = new Option<string?>("--json") { Description = "Also write the report to this file" };
        var command = new Command("chunk-mac",
            "Data-plane throughput with and without per-chunk MACs (AES-256-GMAC) over loopback TCP (mac_throughput_ratio) and shared memory (shm_mac_throughput_ratio), and one core's GMAC, HMAC-SHA256 and XxHash3 rates")
        {
            mib, chunkMib, rounds, json,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            OutputFile.Check(parse.GetValue(json), "--json");
            var report = await ChunkMacBenchmark.Run(parse.GetValue(mib), parse.GetValue(chunkMib), parse.GetValue(rounds),
                step => Console.Error.WriteLine($"bench chunk-mac: {step}"), cancellation);
            string text = JsonSerializer.Serialize(report, CliJson.Indented);
            Console.WriteLine(text);
            if (parse.GetValue(json) is { } file) await OutputFile.WriteAsync(file, text + Environment.NewLine, "--json");
            return 0;
        }));
        return command;
    }

    private static Command Live()
    {
        var hosts = new Option<int>("--hosts") { Description = "Emulated hosts (network namespaces), one silo each", DefaultValueFactory = _ => LiveOptions.DefaultHosts };
        var gpus = new Option<int>("--gpus") { Description = "GPUs per host", DefaultValueFactory = _ => 1 };
        var newInstances = new Option<int>("--new-instances") { Description = "Instances added at the burst's start (1 serves before it)", DefaultValueFactory = _ => LiveOptions.DefaultNewInstances };
        var backend = new Option<string>("--backend") { Description = "The silos' compute backend: timed or cpu", DefaultValueFactory = _ => "timed" };
        var costProfile = new Option<string?>("--cost-profile") { Description = $"timed: the cost profile (default {LiveOptions.DefaultCostProfile} when it exists)" };
        var costModel = new Option<string>("--cost-model") { Description = "timed: the profile's row", DefaultValueFactory = _ => "llama3-8b" };
        var dilation = new Option<double?>("--time-dilation")
        {
            Description = "timed: every emulated time is stretched by this (default: derived from the link and the layer bytes, TimeDilation.Derive)",
        };
        var realLink = new Option<double>("--real-link-gbps")
        {
            Description = "timed: the real cluster's link that the derived dilation maps the testbed's link to", DefaultValueFactory = _ => LiveOptions.DefaultRealLinkGbps,
        };
        var linkMbit = new Option<int>("--link-mbit") { Description = "Each host's link rate in Mbit/s, both directions", DefaultValueFactory = _ => LiveOptions.DefaultLinkMbit };
        var storage = new Option<double?>("--storage-mbps") { Description = "Each host's emulated storage read rate in MB/s (default: 0.4 × the link's byte rate)" };
        var model = new Option<string?>("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
        var shape = new Option<string>("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => LiveOptions.DefaultShape };
        var dtype = new Option<string>("--dtype") { Description = "Synthetic dtype when --model is absent", DefaultValueFactory = _ => LiveOptions.DefaultDType };
        var sequences = new Option<int>("--sequences-per-instance")
        {
            Description = "Requests one instance runs at once (its KV blocks hold exactly these): its batch, hence its capacity",
            DefaultValueFactory = _ => LiveOptions.DefaultSequencesPerInstance,
        };
        var steadyRps = new Option<double?>("--steady-rps") { Description = $"Steady arrivals per second (default {LiveRates.SteadyShare} × one instance's capacity)" };
        var steadySeconds = new Option<double>("--steady-seconds") { Description = "Length of the steady phase", DefaultValueFactory = _ => LiveOptions.DefaultSteadySeconds };
        var burstRps = new Option<double?>("--burst-rps") { Description = $"Burst arrivals per second (default {LiveRates.BurstMultiple} × one instance's capacity)" };
        var burstSeconds = new Option<double>("--burst-seconds") { Description = "Length of the burst", DefaultValueFactory = _ => LiveOptions.DefaultBurstSeconds };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length of every request", DefaultValueFactory = _ => LiveOptions.DefaultPromptTokens };
        var outputTokens = new Option<int>("--output-tokens") { Description = "Tokens generated by every request", DefaultValueFactory = _ => LiveOptions.DefaultOutputTokens };
        var seed = new Option<int>("--seed") { Description = "Seed of the arrival schedule and the prompts", DefaultValueFactory = _ => 1 };
        var policies = new Option<string>("--policies") { Description = "Load policies to run, in order", DefaultValueFactory = _ => LiveOptions.DefaultPolicies };
        var json = new Option<string?>("--json") { Description = "Also write the report to this file" };
        var plot = new Option<string?>("--plot") { Description = "Write a PNG of the burst requests' TTFT over arrival time, one series per policy" };
        var redisPort = new Option<int>("--redis-port") { Description = "The testbed's Redis port", DefaultValueFactory = _ => 6399 };
        var state = new Option<string>("--state") { Description = "The testbed's state directory (silo logs, pid files)", DefaultValueFactory = _ => "/tmp/blitz-testbed" };
        var testbed = new Option<string?>("--testbed") { Description = "Path of testbed.sh (default: testbed/testbed.sh above the blitz binary)" };
        var keep = new Option<bool>("--keep-testbed") { Description = "Leave the testbed up afterwards (testbed.sh down removes it)" };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Run the policies this many times on the same testbed, every other round in reverse order; the ratios are the rounds' medians",
            DefaultValueFactory = _ => 1,
        };
        var cpusPerHost = new Option<int>("--cpus-per-host")
        {
            Description = "Pin each host's silo to this many of the machine's cores, its own where there are enough (0: every silo on every core); " +
                "with --backend cpu a new instance then brings compute of its own",
            DefaultValueFactory = _ => 0,
        };
        var maxBatchTokens = new Option<int?>("--max-batch-tokens")
        {
            Description = $"Tokens per batching step of every instance, its prefill chunk and decodes together (default {BatchPolicy.DefaultMaxBatchTokens}); " +
                "on the cpu backend a step's time grows with it, and a live pair's busy instance takes a handed-over request at its next step",
        };
        var newOverNetwork = new Option<bool>("--new-over-network")
        {
            Description = "Scale onto GPUs off the busy instance's host and the host copy's, so that every new instance loads over the network " +
                "(needs (hosts − 2) × gpus ≥ --new-instances; allcache, with a copy on every host, loads from memory wherever it goes)",
        };
        var seedPerRound = new Option<bool>("--seed-per-round")
        {
            Description = "Round r plays the arrivals of --seed + r − 1, so that the rounds' medians span several schedules, not one schedule's timing noise",
        };
        var liveMove = new Option<string>("--live-move")
        {
            Description = "When a LiveNew moves a split request's keys and values of its first layers to the busy instance, which then runs it whole: " +
                "never (default), when-waiting (while a request waits on the LiveNew for a seat) or after-prompt (every split request)",
            DefaultValueFactory = _ => "never",
        };
        var complementaryLoads = new Option<bool>("--complementary-loads")
        {
            Description = "blitz: whether a network chain's last new instance may load last layers first from the host copy, over its own link, to serve with the " +
                "chain's new last instance as a pipeline once the two hold the model between them (default true; false: every new instance pairs with the busy one)",
            DefaultValueFactory = _ => true,
        };
        var activationShare = new Option<double?>("--activation-share")
        {
            Description = "timed: the share of each hidden-state and key/value row a live pair sends (0, 1]; by default derived so that activations keep " +
                "the real model's proportion to its parameters on the testbed's links, as D keeps it for loads (llama3-8b-narrow: 0.125); 1 sends every value",
        };
        var command = new Command("live",
            "On a testbed of emulated hosts (root): per load policy, the same seeded open-loop steady load then a burst with a scale to 1 + N instances; " +
            "burst TTFT, first token of a new instance vs its full load, and blitz's burst p99 TTFT over each baseline's")
        {
            hosts, gpus, newInstances, backend, costProfile, costModel, dilation, realLink, linkMbit, storage, model, shape, dtype, sequences,
            steadyRps, steadySeconds, burstRps, burstSeconds, promptTokens, outputTokens, seed, policies, json, plot, redisPort, state, testbed, keep, rounds,
            cpusPerHost, maxBatchTokens, newOverNetwork, liveMove, seedPerRound, activationShare, complementaryLoads,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            MulticastTestbed.RequireRoot("bench live");
            OutputFile.Check(parse.GetValue(json), "--json");
            OutputFile.Check(parse.GetValue(plot), "--plot");
            string? modelDirectory = parse.GetValue(model);
            string shapeName = parse.GetValue(shape)!, dtypeName = parse.GetValue(dtype)!;
            string path = ModelSource.Resolve(modelDirectory, shapeName, DTypes.Parse(dtypeName));
            string backendName = parse.GetValue(backend)!;
            string? profile = parse.GetValue(costProfile);
            if (profile is null && backendName == "timed" && File.Exists(LiveOptions.DefaultCostProfile)) profile = LiveOptions.DefaultCostProfile;
            int link = parse.GetValue(linkMbit);
            var options = new LiveOptions(path, modelDirectory is null ? $"{shapeName} {dtypeName}" : null, parse.GetValue(hosts), parse.GetValue(gpus),
                parse.GetValue(newInstances), backendName, profile, parse.GetValue(costModel)!, parse.GetValue(dilation), parse.GetValue(realLink), link,
                parse.GetValue(storage) ?? 0.4 * link / 8, parse.GetValue(sequences), parse.GetValue(steadyRps), parse.GetValue(steadySeconds),
                parse.GetValue(burstRps), parse.GetValue(burstSeconds), parse.GetValue(promptTokens), parse.GetValue(outputTokens), parse.GetValue(seed),
                [.. parse.GetValue(policies)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                parse.GetValue(redisPort), parse.GetValue(state)!, parse.GetValue(testbed), parse.GetValue(keep), parse.GetValue(rounds),
                parse.GetValue(cpusPerHost), parse.GetValue(maxBatchTokens), parse.GetValue(newOverNetwork), parse.GetValue(liveMove)!,
                parse.GetValue(seedPerRound), parse.GetValue(activationShare), parse.GetValue(complementaryLoads));
            Action<string> progress = step => Console.Error.WriteLine($"bench live: {step}");
            var report = await LiveBenchmark.Run(options, progress, cancellation);
            if (parse.GetValue(json) is { } file)
            {
                await OutputFile.WriteAsync(file, JsonSerializer.Serialize(report, CliJson.Indented) + Environment.NewLine, "--json");
                progress($"report with every request's log written to {file}");
            }
            if (parse.GetValue(plot) is { } png)
            {
                LivePlot.Write(png, report);
                progress($"plot written to {png}");
            }
            report.DropLogs();
            Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Indented));
            return report.Failed ? 1 : 0;
        }));
        return command;
    }

    private static Command Multicast()
    {
        var hosts = new Option<int>("--hosts") { Description = "Emulated hosts (network namespaces), one GPU and one silo each; ≥ 2", DefaultValueFactory = _ => 4 };
        var linkMbit = new Option<int>("--link-mbit") { Description = "Each host's link rate in Mbit/s, both directions", DefaultValueFactory = _ => 800 };
        var model = new Option<string?>("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
        var shape = new Option<string>("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => "stories110m" };
        var dtype = new Option<string>("--dtype") { Description = "Synthetic dtype when --model is absent", DefaultValueFactory = _ => "bf16" };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of the chain and fan-out experiments (the best of each is reported)", DefaultValueFactory = _ => 2 };
        var gpuMemory = new Option<double>("--gpu-memory-gib") { Description = "Memory of each emulated GPU", DefaultValueFactory = _ => MulticastTestbed.DefaultGpuMemoryGiB };
        var storage = new Option<double?>("--storage-mbps")
        {
            Description = "Emulated storage read rate of each host in MB/s (default: 0.4 × the link's byte rate, as a ~5 GB/s NVMe SSD is to a 100 Gbit/s NIC)",
        };
        var redisPort = new Option<int>("--redis-port") { Description = "The testbed's Redis port", DefaultValueFactory = _ => 6399 };
        var state = new Option<string>("--state") { Description = "The testbed's state directory (silo logs, pid files)", DefaultValueFactory = _ => "/tmp/blitz-testbed" };
        var testbed = new Option<string?>("--testbed") { Description = "Path of testbed.sh (default: testbed/testbed.sh above the blitz binary)" };
        var keep = new Option<bool>("--keep-testbed") { Description = "Leave the testbed up afterwards (testbed.sh down removes it)" };
        var json = new Option<string?>("--json") { Description = "Also write the report to this file" };
        var command = new Command("multicast",
            "On a testbed of emulated hosts (root): raw link rate vs peer-to-peer transfer, chain time to n targets vs one, one-by-one fan-out, storage vs host cache, host cache bytes per policy")
        {
            hosts, linkMbit, model, shape, dtype, rounds, gpuMemory, storage, redisPort, state, testbed, keep, json,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            MulticastTestbed.RequireRoot("bench multicast");
            OutputFile.Check(parse.GetValue(json), "--json");
            string path = ModelSource.Resolve(parse.GetValue(model), parse.GetValue(shape)!, DTypes.Parse(parse.GetValue(dtype)!));
            var options = new MulticastOptions(path, parse.GetValue(hosts), parse.GetValue(linkMbit), parse.GetValue(rounds), parse.GetValue(gpuMemory),
                KvBlocks: 64, parse.GetValue(redisPort), parse.GetValue(state)!, parse.GetValue(testbed), parse.GetValue(keep), LinkSeconds: 5,
                StorageMBps: parse.GetValue(storage) ?? 0.4 * parse.GetValue(linkMbit) / 8);
            var report = await MulticastBenchmark.Run(options, step => Console.Error.WriteLine($"bench multicast: {step}"), cancellation);
            Console.Error.Write(report.Table());
            string text = JsonSerializer.Serialize(report, CliJson.Indented);
            Console.WriteLine(text);
            if (parse.GetValue(json) is { } file) await OutputFile.WriteAsync(file, text + Environment.NewLine, "--json");
            return report.Error is null ? 0 : 1;
        }));
        return command;
    }

    private static Command Link()
    {
        var listen = new Option<string?>("--listen") { Description = "Receive on IP:PORT, count, and print one JSON line per connection" };
        var connections = new Option<int>("--connections") { Description = "With --listen: connections to serve before exiting", DefaultValueFactory = _ => 1 };
        var connect = new Option<string?>("--connect") { Description = "Send to IP:PORT and print the rate as JSON" };
        var bytes = new Option<long?>("--bytes") { Description = "With --connect: bytes to send" };
        var seconds = new Option<double?>("--seconds") { Description = "With --connect: seconds to send for" };
        var command = new Command("link", "Raw TCP rate over one link (raw_link_MBps; MB = 1e6 bytes): --listen on one end, --connect on the other")
        {
            listen, connections, connect, bytes, seconds,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            string? listenAt = parse.GetValue(listen), connectTo = parse.GetValue(connect);
            if (listenAt is null == connectTo is null) throw new ArgumentException("give exactly one of --listen IP:PORT and --connect IP:PORT");
            if (listenAt is not null)
            {
                int n = parse.GetValue(connections);
                if (n < 1) throw new ArgumentException("--connections must be ≥ 1");
                await LinkProbe.Listen(LinkProbe.ParseEndpoint(listenAt, "--listen"), n,
                    report => Console.WriteLine(JsonSerializer.Serialize(report, CliJson.Options)), Console.Error.WriteLine, cancellation);
                return 0;
            }
            var sent = LinkProbe.Send(LinkProbe.ParseEndpoint(connectTo!, "--connect"), parse.GetValue(bytes), parse.GetValue(seconds), cancellation);
            Console.WriteLine(JsonSerializer.Serialize(sent, CliJson.Options));
            return 0;
        }));
        return command;
    }

    private static Command Serve()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
        var shape = new Option<string>("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => "stories110m" };
        var dtype = new Option<string>("--dtype") { Description = "Synthetic dtype when --model is absent", DefaultValueFactory = _ => "bf16" };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once", DefaultValueFactory = _ => 16 };
        var requests = new Option<int>("--requests") { Description = "Requests per run", DefaultValueFactory = _ => 64 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "Prompt length of each request", DefaultValueFactory = _ => 32 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens generated by each request", DefaultValueFactory = _ => 32 };
        var json = new Option<string?>("--json") { Description = "Also write the report to this file" };
        var hosts = new Option<int?>("--hosts")
        {
            Description = "Serve through a testbed of this many emulated hosts (root), one silo process each, measured from this client: tokens/s and silo CPU per 1000 tokens",
        };
        var gpus = new Option<int>("--gpus") { Description = "With --hosts: GPUs per host", DefaultValueFactory = _ => 2 };
        var instances = new Option<int>("--instances") { Description = "With --hosts: instances to deploy", DefaultValueFactory = _ => 4 };
        var backend = new Option<string>("--backend") { Description = "With --hosts: the silos' compute backend: cpu, cuda or timed", DefaultValueFactory = _ => "cpu" };
        var costProfile = new Option<string?>("--cost-profile") { Description = "With --backend timed: the cost profile (e.g. ../shared/measurements/h200-layer-costs.jsonl)" };
        var costModel = new Option<string>("--cost-model") { Description = "With --backend timed: the profile's row", DefaultValueFactory = _ => "llama3-8b" };
        var dilation = new Option<double>("--time-dilation") { Description = "With --backend timed: every emulated time is stretched by this", DefaultValueFactory = _ => 1 };
        var siloArgs = new Option<string>("--silo-args") { Description = "With --hosts: extra options for every silo", DefaultValueFactory = _ => "" };
        var redisPort = new Option<int>("--redis-port") { Description = "With --hosts: the testbed's Redis port", DefaultValueFactory = _ => 6399 };
        var state = new Option<string>("--state") { Description = "With --hosts: the testbed's state directory", DefaultValueFactory = _ => "/tmp/blitz-testbed" };
        var testbed = new Option<string?>("--testbed") { Description = "With --hosts: path of testbed.sh (default: testbed/testbed.sh above the blitz binary)" };
        var keep = new Option<bool>("--keep-testbed") { Description = "With --hosts: leave the testbed up afterwards" };
        var command = new Command("serve",
            "Generate through the grid vs directly on the engine with the same batch policy (grid_overhead_ratio); with --hosts, through a multi-silo testbed")
        {
            model, shape, dtype, concurrency, requests, promptTokens, maxTokens, json, hosts, gpus, instances, backend, costProfile, costModel, dilation, siloArgs,
            redisPort, state, testbed, keep,
        };
        command.SetAction((parse, cancellation) => CliErrors.Run(async () =>
        {
            int c = parse.GetValue(concurrency), n = parse.GetValue(requests), p = parse.GetValue(promptTokens), m = parse.GetValue(maxTokens);
            if (c < 1 || n < 1 || p < 1 || m < 1) throw new ArgumentException("--concurrency, --requests, --prompt-tokens and --max-tokens must be ≥ 1");
            if (parse.GetValue(hosts) is not null) MulticastTestbed.RequireRoot("bench serve --hosts");
            OutputFile.Check(parse.GetValue(json), "--json");
            string path = ModelSource.Resolve(parse.GetValue(model), parse.GetValue(shape)!, DTypes.Parse(parse.GetValue(dtype)!));
            int vocab = Native.Models.LlamaConfig.Load(path).VocabSize;
            var workload = new ServeWorkload(n, c, p, m, vocab);
            Action<string> progress = step => Console.Error.WriteLine($"bench serve: {step}");
            object report;
            bool failed = false;
            if (parse.GetValue(hosts) is { } h)
            {
                var options = new GridServeOptions(path, h, parse.GetValue(gpus), parse.GetValue(instances), parse.GetValue(backend)!,
                    parse.GetValue(costProfile), parse.GetValue(costModel)!, parse.GetValue(dilation), parse.GetValue(siloArgs)!,
                    parse.GetValue(redisPort), parse.GetValue(state)!, parse.GetValue(testbed), parse.GetValue(keep));
                var grid = await GridServeBenchmark.Run(options, workload, progress, cancellation);
                failed = grid.Error is not null;
                report = grid;
            }
            else
            {
                report = await ServeBenchmark.Run(path, workload, progress, cancellation);
            }
            string text = JsonSerializer.Serialize(report, CliJson.Indented);
            Console.WriteLine(text);
            if (parse.GetValue(json) is { } file) await OutputFile.WriteAsync(file, text + Environment.NewLine, "--json");
            return failed ? 1 : 0;
        }));
        return command;
    }

    private static Command Engine()
    {
        var model = new Option<string?>("--model") { Description = "Model directory (default: the synthetic --shape in --dtype, created once in the cache)" };
        var shape = new Option<string>("--shape") { Description = "Synthetic shape when --model is absent", DefaultValueFactory = _ => "stories110m" };
        var dtype = new Option<string>("--dtype") { Description = "Synthetic dtype when --model is absent: f32, f16 or bf16", DefaultValueFactory = _ => "bf16" };
        var json = new Option<string?>("--json") { Description = "Also write the report to this file" };
        var command = new Command("engine", "Memory bandwidth vs cpu engine decode speed (decode_roofline_share), prefill and batched decode rates") { model, shape, dtype, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            OutputFile.Check(parse.GetValue(json), "--json");
            string path = ModelSource.Resolve(parse.GetValue(model), parse.GetValue(shape)!, DTypes.Parse(parse.GetValue(dtype)!));
            using var local = LocalModel.Open(path);
            var report = EngineBenchmark.Run(local, step => Console.Error.WriteLine($"bench engine: {step}"));
            string text = JsonSerializer.Serialize(report, CliJson.Indented);
            Console.WriteLine(text);
            if (parse.GetValue(json) is { } file) OutputFile.WriteAsync(file, text + Environment.NewLine, "--json").GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }
}
