using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// A model grain's durable state: the deployment, the count it asks for, the next instance number (never reused: a shard
/// of an earlier instance may still be deactivating) and its instances as last known. Written on every change of state;
/// read when the grain activates again (its silo died) and reconciled with the shards that actually exist.
/// </summary>
[GenerateSerializer, Alias("blitz.ModelRecord")]
internal sealed class ModelRecord
{
    [Id(0)] public ModelDeployment? Deployment { get; set; }
    [Id(1)] public int Wanted { get; set; }
    [Id(2)] public int NextInstance { get; set; }
    [Id(3)] public string? HostCopy { get; set; }
    [Id(4)] public List<InstanceRecord> Instances { get; set; } = [];
}

/// <summary>One instance as the model grain last knew it; <see cref="WarmAfterDrain"/> only for a Draining one.</summary>
[GenerateSerializer, Immutable, Alias("blitz.InstanceRecord")]
internal sealed record InstanceRecord(
    [property: Id(0)] int Index, [property: Id(1)] string Shard, [property: Id(2)] string Gpu, [property: Id(3)] string Host,
    [property: Id(4)] InstanceState State, [property: Id(5)] bool? WarmAfterDrain);
