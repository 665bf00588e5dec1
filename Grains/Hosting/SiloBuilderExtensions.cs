using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Placement;
using BlitzScale.Grains.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Storage;

namespace BlitzScale.Grains.Hosting;

/// <summary>Registers BlitzScale's grains and host services on a silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Declares this silo's host (its name goes into the silo metadata, where GPU placement reads it), adds the
    /// GPU-host placement director, the host's GPU devices, the host registration with the topology grain,
    /// metrics, the stream provider, and memory storage for the grid's control state unless a durable provider was
    /// registered under <see cref="GridStorage.Name"/> before.
    /// </summary>
    /// <exception cref="ArgumentException">The host options are invalid; the message lists every problem.</exception>
    public static ISiloBuilder AddBlitzScale(this ISiloBuilder builder, GpuHostOptions host)
    {
        GpuHostOptionsValidator.ThrowIfInvalid(host);
        host.NvlinkGroup ??= host.Host;
        builder.UseSiloMetadata(new Dictionary<string, string> { [HostContext.Key] = host.Host });
        builder.AddPlacementDirector<GpuHostPlacement, GpuHostPlacementDirector>();
        // Orleans' default directory deactivates every activation whose registration lived on a silo that dies: a serving
        // shard on a live host lost its parameters with an unrelated silo (bench chaos). The distributed directory instead
        // recovers those registrations from the silos that hold the activations.
#pragma warning disable ORLEANSEXP003 // evaluation API in Orleans 10.4.2; chosen for the recovery above, tested by DirectoryRecoveryTests
        builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        builder.Services.AddSingleton(host);
        // Policy objects (keep-alive, instance states) read time from here; tests may register a fake before this.
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GpuDevices>();
        builder.Services.AddSingleton<DataPlane.HostDataPlane>();
        builder.Services.AddSingleton<Serving.TokenizerCache>();
        builder.Services.AddSingleton<ThisHost>();
        builder.Services.AddSingleton<BlitzMetrics>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, HostRegistrationService>();
        builder.AddMemoryGrainStorage(StreamNames.PubSubStore);
        // A durable provider registered before (Redis, a test's shared store) keeps the grid's control state; else memory.
        if (!builder.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, GridStorage.Name) && d.ServiceType == typeof(IGrainStorage)))
            builder.AddMemoryGrainStorage(GridStorage.Name);
        builder.AddMemoryStreams(StreamNames.Provider);
        return builder;
    }
}
