namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One instance of a model as its shard reports it. <see cref="LoadSeconds"/> runs from the start of its transfers (once
/// every node of its plan has registered, and any host copy made for it starts reading the files) to the last parameter
/// byte landing; <see cref="LoadedFrom"/> describes its feeds; <see cref="LoadedBytes"/> counts the bytes landed, <see cref="FetchedBytes"/>
/// those its current load brought and <see cref="KeptBytes"/> those the image held when that load began (a load planned
/// again after a lost source keeps what landed and verified, to the chunk).
/// The autoscaler's signals: <see cref="QueuedPrefillTokens"/> (prompt tokens not yet prefilled), <see cref="RunningDecodeTokens"/>
/// (tokens of requests past their prefill), <see cref="PrefilledTokens"/> and <see cref="PrefillSeconds"/> (cumulative prompt
/// tokens and the step time they took, its measured prefill capacity), <see cref="RecentTtftMs"/> and <see cref="RecentTbtMs"/>
/// (moving averages). A LiveOld reports the LiveNew partner it pulls from and hands requests to (<see cref="LivePartner"/>, null
/// when none) and the split requests whose tails it holds (<see cref="SplitRequests"/>, also counted in <see cref="Running"/>).
/// A Failed instance that kept its image after losing a source names that source (<see cref="LostSource"/>), so it can be planned
/// again from a report as from its event; <see cref="Load"/> is which of the shard's loads the report is about (1 the first, one
/// more per refeed). <see cref="Fallbacks"/> lists, in the order it would try them, the sources of each fallback a loading shard still
/// holds should it lose a source and not be planned again in time ("host-a/gpu0 + host-a/gpu1", "storage"); empty once none is left or the load is done.
/// <see cref="Sources"/> names, while it loads, the GPUs and host copies its load fetches from ("storage" for the files).
/// <see cref="OpenStreams"/> counts the generate streams open on the shard (a caller still reading, even after the last token).
/// <see cref="LoadedAt"/> is when the last parameter byte of its current load landed, on the shard's system clock (null while it
/// loads): a caller on the same machine can time a load by it even when it could not reach the shard at that moment.
/// <see cref="RatedPrefillTokensPerSecond"/> is the prefill capacity it was rated at when it started serving (from the cost
/// profile on <c>timed</c>, measured before its first request on <c>cpu</c> and <c>cuda</c>); 0 until it serves whole.
/// <see cref="LiveServed"/> says, in one line, what the instance did with the requests it took as a LiveNew while its layers
/// landed (how many, how many split and at which layers, how long they waited to be pulled and for their first token): so far
/// while it serves live, and as it ended once its live server has; null for an instance that never served live.
/// <see cref="StepSeconds"/> is the time its device has spent in steps since it started serving (whole or live), and
/// <see cref="SplitStepSeconds"/> the share of that a LiveOld spent on its split requests' tails (each step's time shared by
/// tokens × layers): read twice, they say how busy it was between the reads and on what.
/// <see cref="LoadedTailLayers"/> counts the layers held from the last with the head by a load that lands them last first
/// (loads in complementary orders); 0 for any other.
/// </summary>
[GenerateSerializer, Immutable, Alias("blitz.InstanceStatus")]
public sealed record InstanceStatus(
    [property: Id(0)] int Instance,
    [property: Id(1)] string Shard,
    [property: Id(2)] string Gpu,
    [property: Id(3)] InstanceState State,
    [property: Id(4)] int LoadedLayers,
    [property: Id(5)] int TotalLayers,
    [property: Id(6)] int Waiting,
    [property: Id(7)] int Running,
    [property: Id(8)] int KvBlocksUsed,
    [property: Id(9)] int KvBlocksTotal,
    [property: Id(10)] long TokensGenerated,
    [property: Id(11)] double TokensPerSecond,
    [property: Id(12)] string? Error,
    [property: Id(13)] double LoadSeconds = 0,
    [property: Id(14)] string? LoadedFrom = null,
    [property: Id(15)] long LoadedBytes = 0,
    [property: Id(16)] long QueuedPrefillTokens = 0,
    [property: Id(17)] long RunningDecodeTokens = 0,
    [property: Id(18)] long PrefilledTokens = 0,
    [property: Id(19)] double PrefillSeconds = 0,
    [property: Id(20)] double RecentTtftMs = 0,
    [property: Id(21)] double RecentTbtMs = 0,
    [property: Id(22)] long FetchedBytes = 0,
    [property: Id(23)] string? LivePartner = null,
    [property: Id(24)] int SplitRequests = 0,
    [property: Id(25)] long KeptBytes = 0,
    [property: Id(26)] string? LostSource = null,
    [property: Id(27)] int Load = 0,
    [property: Id(28)] IReadOnlyList<string>? Fallbacks = null,
    [property: Id(29)] IReadOnlyList<string>? Sources = null,
    [property: Id(30)] int OpenStreams = 0,
    [property: Id(31)] DateTimeOffset? LoadedAt = null,
    [property: Id(32)] double RatedPrefillTokensPerSecond = 0,
    [property: Id(33)] string? LiveServed = null,
    [property: Id(34)] double StepSeconds = 0,
    [property: Id(35)] double SplitStepSeconds = 0,
    [property: Id(36)] int LoadedTailLayers = 0);
