using System.Collections.Concurrent;
using BlitzScale.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace BlitzScale.Grains.Tests.Reliability;

/// <summary>
/// A grid built to lose Silo_1 (host-b) mid-test: control state in storage that outlives a silo (as Redis does), and
/// membership tuned to declare a killed silo dead in seconds.
/// </summary>
public abstract class SiloKillFixture : GridFixture
{
    private const int Tries = 256;
    private readonly ConcurrentDictionary<string, (object State, string ETag)> _store = new();

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Services.AddKeyedSingleton<IGrainStorage>(GridStorage.Name, (sp, _) => new SharedGrainStorage(_store, sp.GetRequiredService<DeepCopier>()));
        // Grains without a placement of their own (the model grain) go to a random silo, so that NameOnSilo finds a name for
        // each silo within its tries: the default, resource-optimized, placement kept choosing the other silo while the whole
        // suite loaded this machine, and no name of 64 landed on Silo_0.
        silo.Services.AddSingleton<PlacementStrategy, RandomPlacement>();
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }

    /// <summary>
    /// A model name whose grain activated on <paramref name="siloName"/>: placement of a model grain is the runtime's
    /// choice, so names "{prefix}0", "{prefix}1", … are activated until one lands there.
    /// </summary>
    protected async Task<string> NameOnSilo(string siloName, string prefix)
    {
        var silo = Cluster.Silos.Single(s => s.Name == siloName).SiloAddress;
        var management = Client.GetGrain<IManagementGrain>(0);
        // Placement weighs the silos' load, which can favour one for a while: many names are tried (each try is one refused call).
        for (int i = 0; i < Tries; i++)
        {
            string name = $"{prefix}{i}";
            await Assert.ThrowsAsync<KeyNotFoundException>(() => Model(name).GetStatus());
            if (await management.GetActivationAddress(Model(name)) == silo) return name;
        }
        throw new InvalidOperationException($"no model grain of {Tries} named {prefix}… activated on {siloName}");
    }
}
