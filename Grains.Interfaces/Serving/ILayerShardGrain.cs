namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// The layers of one instance on one GPU, keyed <c>"{model}/{instance}/{rank}"</c> and activated on the silo
/// of the GPU it was loaded on. With TP=1 a shard is a whole instance: it loads the parameters, batches
/// requests continuously and streams their tokens.
/// </summary>
[Alias("blitz.ILayerShardGrain")]
public interface ILayerShardGrain : IGrainWithStringKey
{
    /// <summary>Reserves GPU memory and starts loading the parameters; returns once loading has begun.</summary>
    /// <exception cref="InvalidOperationException">The GPU lacks memory, or the shard is already loaded elsewhere.</exception>
    [Alias("Load")]
    Task<InstanceStatus> Load(ShardLoadRequest request);

    /// <summary>Starts fetching the parameters of a deferred load; nothing when it started already.</summary>
    [Alias("Begin")]
    Task Begin();

    /// <summary>State, loaded layers and batching counters.</summary>
    [Alias("GetStatus")]
    Task<InstanceStatus> GetStatus();

    /// <summary>Generates, streaming updates; cancelling frees the request's KV blocks.</summary>
    [Alias("Generate")]
    IAsyncEnumerable<GenerationUpdate> Generate(GenerateRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// How far the open stream of request <paramref name="requestId"/> got here (updates handed to the runtime, and how long
    /// the last has waited for the caller's next ask), or null when no stream of that id is open here. A caller whose stream
    /// stopped while a silo died compares it with what reached it: a stream whose gateway died stays open here while its
    /// updates, or the caller's asks for them, go nowhere (<c>StreamWatch</c>).
    /// </summary>
    [Alias("StreamProgress")]
    Task<StreamPosition?> StreamProgress(string requestId);

    /// <summary>Marks the parameters evictable (the instance is Warm: the model grain routes nothing to it); they stay until the memory is needed.</summary>
    [Alias("SetWarm")]
    Task<InstanceStatus> SetWarm();

    /// <summary>Makes the kept parameters non-evictable again; false when they are gone (the instance was evicted).</summary>
    [Alias("Revive")]
    Task<bool> Revive();

    /// <summary>Stops serving and frees the GPU memory.</summary>
    [Alias("Unload")]
    Task Unload();

    /// <summary>
    /// After its load failed because a source was lost, fetches what the kept image still lacks from <paramref name="feeds"/>
    /// (planned for the whole image; the blobs that landed and verified are not fetched again). False when the shard kept no
    /// image to finish (it is not Failed, or its load failed otherwise); the caller then unloads it and loads anew. True without
    /// using <paramref name="feeds"/> when the shard, not planned again within its grace, is already fetching what it lacked
    /// from its load's fallback.
    /// </summary>
    [Alias("Refeed")]
    Task<bool> Refeed(IReadOnlyList<LoadFeed> feeds);

    /// <summary>Unloads because another instance needs the GPU memory, and says so on the model's event stream (<see cref="ModelEventKind.Evicted"/>).</summary>
    [Alias("Evict")]
    Task Evict();

    /// <summary>
    /// Live scaling: this shard is one half of a live pair. <see cref="LiveRole.New"/> (loading, at least one layer landed) starts
    /// serving with the layers it has; <see cref="LiveRole.Old"/> (serving) starts pulling split requests from its partner when it
    /// has room.
    /// </summary>
    /// <exception cref="InvalidOperationException">The shard is not in the phase the role needs (New: loading; Old: loaded).</exception>
    /// <exception cref="NotSupportedException">The backend cannot serve a partly loaded image (cuda).</exception>
    [Alias("PairLive")]
    Task PairLive(LivePairing pairing);

    /// <summary>
    /// LiveOld: the pair finished because the partner holds every layer; before it stops pulling and handing over, it hands the
    /// partner part of its backlog, given the requests open on each (the model grain's router counts).
    /// </summary>
    [Alias("FinishLive")]
    Task FinishLive(int openHere, int openOnPartner);

    /// <summary>LiveOld: the pair has finished (the partner holds every layer); stop pulling. Split requests still here finish.</summary>
    [Alias("EndLive")]
    Task EndLive();

    /// <summary>
    /// LiveOld: the LiveNew <paramref name="partner"/> left the pair before its load completed (failed, unloaded, its silo gone):
    /// stop pulling from it and handing requests to it, and end the split requests held for it (their callers resume them
    /// elsewhere), freeing their KV blocks.
    /// </summary>
    [Alias("PartnerGone")]
    Task PartnerGone(string partner);

    /// <summary>
    /// LiveNew: the partner <paramref name="puller"/> has room; hand it the earliest blocked request (what was handed) or none
    /// (null). None is handed before it has run layers [0, <paramref name="fromLayer"/>): a LiveTail partner holds only the layers
    /// from there. A shard that is not this one's partner gets none.
    /// </summary>
    [Alias("PullLive")]
    Task<LivePull?> PullLive(int fromLayer, string puller);

    /// <summary>LiveNew: this many requests wait to be pulled.</summary>
    [Alias("OfferLive")]
    Task OfferLive(int blocked);

    /// <summary>LiveOld: runs a split request's step on its tail layers and returns the sampled token.</summary>
    /// <exception cref="InvalidOperationException">The shard holds no loaded instance.</exception>
    [Alias("RunSplit")]
    Task<int> RunSplit(SplitStep step);

    /// <summary>
    /// LiveOld: a split request's keys and values of layers [0, j) for the positions computed so far, moved by its LiveNew partner; written into the
    /// request's blocks here, after which its steps run whole here. Returns once they are written.
    /// </summary>
    /// <exception cref="InvalidOperationException">The shard holds no loaded instance, or the request is not split here between steps.</exception>
    [Alias("MoveSplitKv")]
    Task MoveSplitKv(SplitKv kv);

    /// <summary>LiveOld: the <c>host:port</c> of this shard's host data plane, where its partner pushes split steps' hidden states.</summary>
    [Alias("ActivationAddress")]
    Task<string> ActivationAddress();

    /// <summary>LiveOld: a split request ended on the partner; free its KV blocks here.</summary>
    [Alias("EndSplit")]
    Task EndSplit(string requestId);

    /// <summary>The silo this shard runs on.</summary>
    [Alias("GetSiloAddress")]
    Task<string> GetSiloAddress();
}
