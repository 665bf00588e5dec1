using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>The checks of deploy and scale requests a user writes: each names the field, what was expected and what was found.</summary>
internal static class DeployChecks
{
    public const int MaxInstances = 256;

    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public static void Check(DeployRequest request)
    {
        if (request.Instances is < 1 or > MaxInstances)
            throw new ArgumentException($"instances: expected 1 to {MaxInstances}, found {request.Instances}");
        if (string.IsNullOrWhiteSpace(request.ModelDirectory))
            throw new ArgumentException("model directory: expected a path, found an empty one");
        if (request.Gpus is { } given && given.Count != request.Instances)
            throw new ArgumentException($"gpus: {given.Count} given for {request.Instances} instance(s); give one per instance or none");
        if (request.KeepAliveSeconds is { } keepAlive && !(keepAlive > 0))
            throw new ArgumentException($"keep-alive: expected a positive number of seconds, found {keepAlive}");
        if (request.DrainSeconds is { } drain && !(drain >= 0 && drain <= 86400))
            throw new ArgumentException($"drain seconds: expected 0 to 86400, found {drain}");
        if (request.MaxQueuedRequests is < 0 or > DeployRequest.MaxMaxQueuedRequests)
            throw new ArgumentException($"max queued requests: expected 0 to {DeployRequest.MaxMaxQueuedRequests}, found {request.MaxQueuedRequests}");
        if (request.Autoscale is { } autoscale) AutoscaleSettingsMap.ToOptions(autoscale, request.Instances);
        if (!Enum.IsDefined(request.Policy))
            throw new ArgumentException($"policy: expected blitz, blitz-fast, sllm or allcache, found {(int)request.Policy}");
    }

    /// <exception cref="ArgumentException">The instance count is out of range.</exception>
    public static void Check(ScaleRequest request)
    {
        if (request.Instances is < 0 or > MaxInstances)
            throw new ArgumentException($"instances: expected 0 to {MaxInstances}, found {request.Instances}");
    }
}
