using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Serving;

/// <summary>What a model grain remembers of its deployment: files, policy, batching and the image's shape.</summary>
[GenerateSerializer, Immutable, Alias("blitz.ModelDeployment")]
internal sealed record ModelDeployment(
    [property: Id(0)] string Directory, [property: Id(1)] LoadPolicy Policy, [property: Id(2)] double? KeepAliveSeconds,
    [property: Id(3)] int? KvBlocks, [property: Id(4)] int? MaxBatchTokens, [property: Id(5)] ImageDescription Image,
    [property: Id(6)] int MaxQueuedRequests = DeployRequest.DefaultMaxQueuedRequests,
    [property: Id(7)] double DrainSeconds = DeployRequest.DefaultDrainSeconds,
    [property: Id(8)] AutoscaleSettings? Autoscale = null,
    [property: Id(9)] bool LateBinding = true)
{
    public const double DefaultKeepAliveSeconds = 300;

    public static ModelDeployment From(DeployRequest request, ImageDescription image) =>
        new(request.ModelDirectory, request.Policy,
            request.Policy == LoadPolicy.Sllm ? request.KeepAliveSeconds ?? DefaultKeepAliveSeconds : null,
            request.KvBlocks, request.MaxBatchTokens, image, request.MaxQueuedRequests ?? DeployRequest.DefaultMaxQueuedRequests,
            request.DrainSeconds ?? DeployRequest.DefaultDrainSeconds, request.Autoscale, request.LateBinding);
}
