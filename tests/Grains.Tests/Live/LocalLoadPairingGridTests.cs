using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Tests.Reliability;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests.Live;

/// <summary>
/// Hosts that declare a copy from host memory into a GPU faster than their NIC, and run it at 0.5 MB/s: a load of stories260K
/// (1 MB) from the host copy takes about two seconds, long enough for its layers to land one by one.
/// </summary>
public sealed class SlowHostCopyFixture : GridFixture
{
    protected override void ConfigureHost(GpuHostOptions host)
    {
        host.NicGbps = 0.001;
        host.HostToDeviceMBps = 0.5;
    }
}

/// <summary>
/// A load from inside its host (here the host copy beside its GPU) does not pair live (<c>LocalLoads</c>, wired in
/// <c>ModelGrain.PairLive</c>), even under requests whose split would help the busy instance and with a load slow enough
/// (about two seconds) for its layers to land one by one.
/// </summary>
public sealed class LocalLoadPairingGridTests(SlowHostCopyFixture grid) : IClassFixture<SlowHostCopyFixture>
{
    [Fact]
    public async Task Under_a_prefill_bound_mix_it_does_not_pair()
    {
        // 480-token prompts and one token out: the step budget of 512 prompt tokens binds before the 4 seats do (0.94 of a step
        // each against 0.48 of a seat's steps), and split at half the layers one takes 0.47 of a step and (3 × 1 + 0.47) ÷ 4 =
        // 0.87 of a seat's, less than whole: a pair would take such requests split. Until 9f71dcf's pacing such a load paired.
        var paired = await ScaleUnderLoad("local-prefill", () => new GenerateRequest { PromptIds = [.. Enumerable.Range(0, 480).Select(i => 1 + i % 500)], MaxTokens = 1, StopAtEos = false });

        Assert.Empty(paired);
    }

    // Deploys one instance on host-a/gpu0 (the copy goes to host-b, which has no instance), keeps six requests in flight,
    // scales onto host-b/gpu0, which loads from host-b's memory, and returns the shards that paired live until it served.
    private async Task<IReadOnlyList<string>> ScaleUnderLoad(string name, Func<GenerateRequest> request)
    {
        var model = grid.Model(name);
        await model.Deploy(new DeployRequest
        {
            ModelDirectory = RepositoryPaths.ShippedStories260K, Instances = 1, Gpus = [$"{GridFixture.HostA}/gpu0"], KvBlocks = 128, Policy = LoadPolicy.Blitz,
        });
        try
        {
            var deployed = await grid.WaitUntilServing(name);
            Assert.Equal([GridFixture.HostB], deployed.HostCopies);
            await using var events = await ModelEventLog.Follow(grid.Client, name);

            var requests = new List<Task<Streamed>>();
            void TopUp()
            {
                while (requests.Count(r => !r.IsCompleted) < 6 && requests.Count < 2000) requests.Add(Streamed.Collect(grid.Client.GenerateAsync(name, request())));
            }
            TopUp();
            await StatusPoll.WaitFor(model, s => s.Instances.Sum(i => i.Running) > 0 ? s : null, "the first requests never ran");
            var scaled = await model.Scale(new ScaleRequest { Instances = 2, Gpus = [$"{GridFixture.HostB}/gpu0"] });
            var fresh = Assert.Single(scaled.Instances, i => i.Gpu == $"{GridFixture.HostB}/gpu0");

            await StatusPoll.Until(() =>
            {
                TopUp();
                return events.Events.Any(e => e.Kind == ModelEventKind.Serving && e.Shard == fresh.Shard);
            }, "the new instance never served");
            var served = await StatusPoll.WaitFor(model, s => s.Instances.FirstOrDefault(i => i.Shard == fresh.Shard && i.LoadedFrom is not null), "the new instance's load was never reported");
            Assert.StartsWith($"{GridFixture.HostB}/memory (HostToDevice", served.LoadedFrom);
            await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60));
            return [.. events.Events.Where(e => e.Kind == ModelEventKind.LivePaired).Select(e => e.Shard)];
        }
        finally
        {
            await model.Undeploy();
        }
    }
}
