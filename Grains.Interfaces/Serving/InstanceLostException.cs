namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// The instance serving a request stopped under it (unloaded after a drain's time ran out, evicted, or its silo died): the
/// request was not wrong, and <see cref="GridGeneration.GenerateAsync"/> resumes it on another instance.
/// </summary>
[GenerateSerializer, Alias("blitz.InstanceLostException")]
public sealed class InstanceLostException : Exception
{
    /// <summary>An empty one (for serialization).</summary>
    public InstanceLostException()
    {
    }

    /// <summary>Instance <paramref name="shard"/> stopped under a request, for <paramref name="reason"/>.</summary>
    public InstanceLostException(string shard, string reason)
        : base($"instance {shard} stopped under the request: {reason}")
    {
        Shard = shard;
    }

    /// <summary>The shard that was serving the request.</summary>
    [Id(0)] public string Shard { get; init; } = "";
}
