namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>What a <see cref="ModelEvent"/> reports.</summary>
public enum ModelEventKind
{
    /// <summary>The model grain planned a scale-up; <see cref="ModelEvent.Detail"/> describes the chains.</summary>
    Planned,
    /// <summary>A layer blob of an instance landed; the instance now holds <see cref="ModelEvent.LoadedLayers"/> layers from the first.</summary>
    LayerReady,
    /// <summary>Bytes landed on an instance (at most a few per second per instance).</summary>
    TransferProgress,
    /// <summary>An instance holds every parameter and serves.</summary>
    Serving,
    /// <summary>An instance could not load; <see cref="ModelEvent.Detail"/> says why.</summary>
    Failed,
    /// <summary>An instance stopped serving and keeps its parameters (Warm).</summary>
    Warm,
    /// <summary>A Warm instance was revived.</summary>
    Revived,
    /// <summary>A Warm instance's GPU memory was needed: it was unloaded.</summary>
    Evicted,
    /// <summary>A host-memory copy of the model was made or dropped (<see cref="ModelEvent.Detail"/>).</summary>
    HostCopy,
    /// <summary>
    /// Live scaling: a loading instance (<see cref="ModelEvent.Shard"/>, with <see cref="ModelEvent.LoadedLayers"/> landed) serves
    /// beside a busy one (named in <see cref="ModelEvent.Detail"/>) before its last layer lands.
    /// </summary>
    LivePaired,
    /// <summary>
    /// The model's autoscaler added or drained instances: from <see cref="ModelEvent.ScaledFrom"/> to <see cref="ModelEvent.ScaledTo"/>
    /// active instances; <see cref="ModelEvent.Detail"/> says why and on what load (and what failed, if it could not).
    /// </summary>
    Scaled,
    /// <summary>
    /// A loading instance whose source was lost, not planned again by the model grain within the shard's grace (the model grain
    /// died with the source, or cannot reach the cluster), fetches what it lacks from the fallback its load was planned with
    /// (the host copy or storage); <see cref="ModelEvent.Load"/> is the new load's number, <see cref="ModelEvent.LostSource"/> the source lost.
    /// </summary>
    Refeeding,
}

/// <summary>One loading or instance event of a model, published on <see cref="StreamNames.ModelEvents"/> keyed by the model name.</summary>
[GenerateSerializer, Immutable, Alias("blitz.ModelEvent")]
public sealed record ModelEvent
{
    /// <summary>What happened.</summary>
    [Id(0)] public ModelEventKind Kind { get; init; }
    /// <summary>The model.</summary>
    [Id(1)] public string Model { get; init; } = "";
    /// <summary>The instance's shard key (empty for model-wide events).</summary>
    [Id(2)] public string Shard { get; init; } = "";
    /// <summary>The instance's GPU, or the host of a host copy.</summary>
    [Id(3)] public string Gpu { get; init; } = "";
    /// <summary>Layers held from the first, embedding counted with layer 0 and the head last.</summary>
    [Id(4)] public int LoadedLayers { get; init; }
    /// <summary>Layers of the model.</summary>
    [Id(5)] public int TotalLayers { get; init; }
    /// <summary>Parameter bytes landed so far.</summary>
    [Id(6)] public long Bytes { get; init; }
    /// <summary>Parameter bytes of the image.</summary>
    [Id(7)] public long TotalBytes { get; init; }
    /// <summary>Milliseconds since the instance was asked to load.</summary>
    [Id(8)] public double ElapsedMs { get; init; }
    /// <summary>A description (the plan, the error, the feeds).</summary>
    [Id(9)] public string? Detail { get; init; }
    /// <summary>On <see cref="ModelEventKind.Failed"/>: the source (as the plan named it) that disappeared mid-transfer, so the model grain can plan around it.</summary>
    [Id(10)] public string? LostSource { get; init; }
    /// <summary>On <see cref="ModelEventKind.Scaled"/>: active instances before the decision.</summary>
    [Id(11)] public int ScaledFrom { get; init; }
    /// <summary>On <see cref="ModelEventKind.Scaled"/>: active instances wanted.</summary>
    [Id(12)] public int ScaledTo { get; init; }
    /// <summary>On a shard's state events: which of its loads the event is about (1 the first, one more per refeed); 0 when not said.</summary>
    [Id(13)] public int Load { get; init; }
    /// <summary>Layers held from the last with the head, for a load that lands them last first (<see cref="LoadFeed.Descending"/>); 0 otherwise.</summary>
    [Id(14)] public int LoadedTailLayers { get; init; }
}
