using BlitzScale.Grains.Hosting;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Tests.Shared;
using Orleans.TestingHost;

namespace BlitzScale.Grains.Tests;

/// <summary>
/// One in-process cluster of two silos, "host-a" (Silo_0) and "host-b" (Silo_1) — or more, "host-c" (Silo_2) and on, when a
/// subclass asks for them (<see cref="HostCount"/>) — each with two 2 GiB GPUs, and
/// the synthetic "tiny" model (f32, context 1024) written once. The hosts compute on <see cref="GridBackend.Name"/> unless
/// a subclass configures them otherwise; subclasses deploy what their test class needs.
/// </summary>
public class GridFixture : IAsyncLifetime
{
    public const string HostA = "host-a";
    public const string HostB = "host-b";
    public const string HostC = "host-c";
    public const int GpusPerHost = 2;
    public const double GpuMemoryGiB = 2;
    public const ulong SyntheticSeed = 20250611;

    private readonly TempDirectory _root = new();
    private InProcessTestCluster? _cluster;

    public GridFixture()
    {
        SyntheticModel = _root.File("tiny");
        SyntheticModelWriter.Write(SyntheticModel, SyntheticShapes.Get("tiny"), DType.F32, SyntheticSeed);
    }

    /// <summary>The synthetic "tiny" model directory (4 layers, vocabulary 512, context 1024).</summary>
    public string SyntheticModel { get; }

    /// <summary>A path under a folder deleted with the fixture, for model directories that tests break on purpose.</summary>
    public string ScratchPath(string name) => _root.File(name);

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster is not deployed");

    public IClusterClient Client => Cluster.Client;

    public IModelGrain Model(string name) => Client.GetGrain<IModelGrain>(name);

    public IModelRegistryGrain Registry => Client.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster);

    public Interfaces.Topology.IGpuGrain Gpu(string key) => Client.GetGrain<Interfaces.Topology.IGpuGrain>(key);

    public ILayerShardGrain Shard(string key) => Client.GetGrain<ILayerShardGrain>(key);

    /// <summary>The address of the silo that plays <paramref name="host"/>.</summary>
    public string SiloOf(string host)
    {
        string name = host.Length == HostA.Length && host.StartsWith("host-", StringComparison.Ordinal) ? $"Silo_{host[^1] - 'a'}" : "";
        return Cluster.Silos.SingleOrDefault(s => s.Name == name)?.SiloAddress.ToString()
            ?? throw new ArgumentException($"no silo plays host {host}", nameof(host));
    }

    /// <summary>The host a silo plays: Silo_0 is host-a, Silo_1 host-b, Silo_2 host-c, ….</summary>
    public static string HostOfSilo(string siloName) => $"host-{(char)('a' + int.Parse(siloName["Silo_".Length..], System.Globalization.CultureInfo.InvariantCulture))}";

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder((short)HostCount);
        // BLITZ_TEST_SILO_LOGS=1 writes each silo's log under the test binaries' logs/ folder: how a rare grid failure is read.
        builder.Options.ConfigureFileLogging = Environment.GetEnvironmentVariable("BLITZ_TEST_SILO_LOGS") == "1";
        ConfigureCluster(builder.Options);
        builder.ConfigureSilo((options, silo) =>
        {
            var host = new GpuHostOptions
            {
                Host = HostOfSilo(options.SiloName),
                Gpus = GpusPerHost,
                GpuMemoryGiB = GpuMemoryGiB,
                Backend = GridBackend.Name,
            };
            ConfigureHost(host);
            ConfigureSilo(silo);
            silo.AddBlitzScale(host);
        });
        builder.ConfigureClient(client =>
        {
            client.AddMemoryStreams(StreamNames.Provider);
            ConfigureClient(client);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        await OnDeployedAsync();
    }

    /// <summary>
    /// Waits until every instance of <paramref name="model"/> serves (the model grain routes only to serving instances, so
    /// a test about spreading requests starts from a whole deployment). Reads the status, which asks the shards.
    /// </summary>
    public async Task<ModelStatus> WaitUntilServing(string model)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var status = await Model(model).GetStatus();
            if (status.Instances.All(i => i.State == InstanceState.Serving)) return status;
            if (status.Instances.FirstOrDefault(i => i.State == InstanceState.Failed) is { } failed)
                throw new InvalidOperationException($"{failed.Shard} failed: {failed.Error}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{model}: not every instance serves after 60 s");
            await Task.Delay(20);
        }
    }

    /// <summary>How many silos (hosts) the cluster starts with: two unless a subclass needs more.</summary>
    protected virtual int HostCount => 2;

    /// <summary>Adjusts each host's options before its silo starts (the backend, its cost profile).</summary>
    protected virtual void ConfigureHost(GpuHostOptions host)
    {
    }

    /// <summary>Adds to each silo before BlitzScale is (storage, membership options).</summary>
    protected virtual void ConfigureSilo(ISiloBuilder silo)
    {
    }

    /// <summary>Adds to the test cluster's client (its messaging options).</summary>
    protected virtual void ConfigureClient(IClientBuilder client)
    {
    }

    /// <summary>Adjusts the test cluster's own options before it is built.</summary>
    protected virtual void ConfigureCluster(InProcessTestClusterOptions options)
    {
    }

    /// <summary>Runs once the cluster is up: deploy the models the test class shares.</summary>
    protected virtual Task OnDeployedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _root.Dispose();
    }
}
