using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Interfaces.Topology;

namespace BlitzScale.Grains.Serving;

/// <summary>What a model grain remembers of its deployment: files, policy, batching and the image's shape.</summary>
internal sealed record ModelDeployment(
    string Directory, LoadPolicy Policy, double? KeepAliveSeconds, int? KvBlocks, int? MaxBatchTokens, ImageDescription Image,
    int MaxQueuedRequests = DeployRequest.DefaultMaxQueuedRequests)
{
    public const double DefaultKeepAliveSeconds = 300;

    public static ModelDeployment From(DeployRequest request, ImageDescription image) =>
        new(request.ModelDirectory, request.Policy,
            request.Policy == LoadPolicy.Sllm ? request.KeepAliveSeconds ?? DefaultKeepAliveSeconds : null,
            request.KvBlocks, request.MaxBatchTokens, image, request.MaxQueuedRequests ?? DeployRequest.DefaultMaxQueuedRequests);
}
