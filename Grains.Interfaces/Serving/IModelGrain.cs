
namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One model, keyed by its name: deployment, instances and their states, the request queue and the router
/// (least outstanding tokens). Tokens never pass through it: requests stream from the instance.
/// </summary>
[Alias("blitz.IModelGrain")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Places and loads instances; returns once every instance has started loading.</summary>
    /// <exception cref="ArgumentException">The request is invalid (no instances, unknown GPU, bad model directory).</exception>
    /// <exception cref="InvalidOperationException">Not enough GPUs.</exception>
    [Alias("Deploy")]
    Task<ModelStatus> Deploy(DeployRequest request);

    /// <summary>
    /// Scales to <see cref="ScaleRequest.Instances"/> serving instances: up revives Warm instances first, then plans
    /// chains for new ones and tells their shards what to fetch from whom; down stops the newest, keeping them Warm.
    /// Returns once every new instance has started loading (watch <see cref="StreamNames.ModelEvents"/> or the status).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request is invalid (count out of range, unknown GPU, GPU list of the wrong length).</exception>
    /// <exception cref="InvalidOperationException">Not enough free GPUs.</exception>
    [Alias("Scale")]
    Task<ModelStatus> Scale(ScaleRequest request);

    /// <summary>Unloads every instance.</summary>
    [Alias("Undeploy")]
    Task Undeploy();

    /// <summary>Instances, queue and throughput.</summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    [Alias("GetStatus")]
    Task<ModelStatus> GetStatus();

    /// <summary>
    /// Decides which instance serves a request estimated to cost <paramref name="estimatedTokens"/> (prompt and generation),
    /// <paramref name="promptTokens"/> of them its prompt: the one with the fewest outstanding tokens among those taking
    /// requests with a free seat (a seat includes room in the instance's bound on prompts not yet started). While the model's instances are still
    /// loading, the request is held until one takes requests (bounded in time, <see cref="RouteHold.Limit"/>, and in number); the call's response timeout outlasts that bound. The caller streams from the shard named and hands
    /// the ticket back with <see cref="Release"/> when the request ends (<see cref="GridGeneration.GenerateAsync"/> does both).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="InvalidOperationException">No instance takes requests, and none is on its way to (the message says why).</exception>
    /// <exception cref="AdmissionQueueFullException">The request would have to wait, and the model already holds <see cref="DeployRequest.MaxQueuedRequests"/> waiting ones.</exception>
    /// <exception cref="ArgumentException"><paramref name="estimatedTokens"/> is negative, or <paramref name="promptTokens"/> is not between 0 and it.</exception>
    /// <param name="wait">
    /// Names this call for <see cref="Holds"/>, which a caller kept waiting asks whether the activation holding its call still
    /// lives; none by default.
    /// </param>
    [Alias("Route")]
    [ResponseTimeout(RouteHold.ResponseTimeout)]
    Task<RouteDecision> Route(long estimatedTokens, long promptTokens, Guid wait = default);

    /// <summary>
    /// A routed request lost its instance mid-stream (<paramref name="lostShard"/>, ticket <paramref name="lostTicket"/>): the
    /// ticket is handed back, the shard is asked whether it still serves (one that cannot be reached, or no longer holds the
    /// model, is dropped at once, before membership may say its silo died), and the rest of the request, estimated at
    /// <paramref name="estimatedTokens"/> with a prompt of <paramref name="promptTokens"/> (the caller's and the tokens
    /// delivered, which the next instance prefills), is routed as <see cref="Route"/> does.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="InvalidOperationException">No instance takes requests, and none is on its way to.</exception>
    /// <param name="wait">Names this call for <see cref="Holds"/>, as for <see cref="Route"/>.</param>
    [Alias("Resume")]
    [ResponseTimeout(RouteHold.ResponseTimeout)]
    Task<RouteDecision> Resume(long lostTicket, string lostShard, long estimatedTokens, long promptTokens, Guid wait = default);

    /// <summary>
    /// Whether this activation holds the <see cref="Route"/> or <see cref="Resume"/> call named <paramref name="wait"/> (not
    /// yet answered). A caller kept waiting asks it: a new activation of the model grain, after its silo died, does not hold
    /// the calls the dead one held, and those would otherwise be answered only by the runtime's response timeout (30 s).
    /// </summary>
    [Alias("Holds")]
    Task<bool> Holds(Guid wait);

    /// <summary>
    /// A routed request had its first token (told when <see cref="RouteDecision.ReportsStart"/>): its prompt no longer counts
    /// against its instance's bound on unstarted prompts, and the requests waiting may take the room. One way: the token
    /// does not wait for it. A released or unknown ticket changes nothing.
    /// </summary>
    [Alias("Started"), Orleans.Concurrency.OneWay]
    Task Started(long ticket);

    /// <summary>A routed request ended (finished, failed or cancelled): its outstanding tokens leave its instance.</summary>
    [Alias("Release")]
    Task Release(long ticket);

    /// <summary>
    /// A routed request was handed over by its busy instance to that instance's live partner, shard <paramref name="shard"/>
    /// (<see cref="GenerationUpdate.HandedTo"/>): its outstanding tokens count there from now on. A released ticket or an
    /// unknown shard changes nothing.
    /// </summary>
    [Alias("HandedOver")]
    Task HandedOver(long ticket, string shard);

    /// <summary>
    /// A shard's own event (a layer landed, it serves, its load failed, it was evicted), told by the shard as it happens. One
    /// way: the model grain acts on it without the shard waiting, and a report lost with a dying silo is made up for by the
    /// model grain's next read of its shards' status. The same event is published on the model's stream for watchers.
    /// </summary>
    [Alias("Report"), Orleans.Concurrency.OneWay]
    Task Report(ModelEvent shardEvent);

    /// <summary>
    /// Answers at once and does nothing: a shard that lost its load's source asks whether the model grain that would plan the
    /// load again can be reached. A call that cannot be delivered (the model grain's silo died with the source and is not yet
    /// declared dead) lets the shard fetch from its own fallback without waiting out its grace.
    /// </summary>
    [Alias("Reachable")]
    Task Reachable();
}
