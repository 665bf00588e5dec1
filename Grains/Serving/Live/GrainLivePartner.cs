using BlitzScale.Grains.DataPlane;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Placement;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Transport;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// The LiveOld partner of a LiveNew shard, over the grid: each split step's hidden states are pushed to the partner's host
/// data plane over one authenticated connection kept open (each frame MAC'd; never in an Orleans message), or, when that
/// fails, published on this host's for the partner to fetch; the grain call carries only the reference and returns the
/// sampled token.
/// </summary>
internal sealed partial class GrainLivePartner(IGrainFactory grains, HostDataPlane dataPlane, string shard, LivePairing pairing, ILogger logger) : ILivePartner
{
    private readonly Lock _gate = new();
    private int _latestOffer;
    private int _sentOffer;
    private bool _sending;
    private Task<string>? _partnerAddress;
    private int _pushFailedLogged;

    private ILayerShardGrain Partner => grains.GetGrain<ILayerShardGrain>(pairing.PartnerShard);

    public string Shard => pairing.PartnerShard;

    // Publish, the partner's call (fetch, its step, the token back), retire.
    private readonly SplitStepTimes _times = new(3);

    // The pair's first split token, from the pair forming (Prepare): when a request first waited to be pulled (an offer), when
    // the first split step left (the pull arrived), when its token came back. Logged once: it is what a new instance's first
    // token waits for.
    private long _formed, _firstOffer, _firstStep;
    private int _firstTokenLogged;

    public async Task<int> RunSplitAsync(SplitWork work, CancellationToken cancellationToken)
    {
        string sourceId = $"{shard}/live/{work.RequestId}/{work.Start}";
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _firstStep, start, 0);
        // A moved request's step carries only its token (the partner embeds it).
        ActivationRef? activation = null;
        bool published = false;
        if (work.Hidden is { } hidden) (activation, published) = await HandAsync(sourceId, hidden, cancellationToken).ConfigureAwait(false);
        double publish = SplitStepTimes.Since(start), call = 0;
        try
        {
            var step = new SplitStep
            {
                RequestId = work.RequestId, Start = work.Start, Count = work.Count, FirstLayer = work.FirstLayer, Activation = activation,
                Temperature = work.Sampling.Temperature, TopP = work.Sampling.TopP, TopK = work.Sampling.TopK, Seed = work.Sampling.Seed,
                Positions = work.Positions, Partner = shard, TokenId = work.TokenId,
            };
            long called = System.Diagnostics.Stopwatch.GetTimestamp();
            int token = await HostContext.On(pairing.PartnerHost, () => Partner.RunSplit(step)).WaitAsync(cancellationToken).ConfigureAwait(false);
            call = SplitStepTimes.Since(called);
            if (Interlocked.Exchange(ref _firstTokenLogged, 1) == 0) LogFirstToken();
            return token;
        }
        finally
        {
            long retiring = System.Diagnostics.Stopwatch.GetTimestamp();
            if (published) await dataPlane.RetireActivationAsync(sourceId).ConfigureAwait(false);
            if (call > 0 && _times.Add(publish, call, SplitStepTimes.Since(retiring)) is { } report)
                LogSplitTimes(logger, shard, pairing.PartnerShard, report.Steps, report.Means[0], report.Means[1], report.Means[2], report.JitMilliseconds);
        }
    }

    // Hands states to the partner's host: pushed, or published on this host for it to fetch (in chunks) when the push fails or
    // they are more than its inbox takes in one frame (a long prompt's keys and values can pass 256 MiB; pushed, the refused
    // frame would break the connection the split steps share). The caller retires published states once the partner has them.
    private async Task<(ActivationRef Activation, bool Published)> HandAsync(string sourceId, HiddenStates states, CancellationToken cancellationToken)
    {
        if (dataPlane.ShapeForWire(states).SerializedLength <= ActivationInbox.DefaultMaxFrameBytes
            && await PushAsync(sourceId, states, cancellationToken).ConfigureAwait(false) is { } pushed)
            return (pushed, false);
        return (dataPlane.PublishActivation(sourceId, states), true);
    }

    // Pushes states to the partner's host over the connection kept open to it: one one-way trip, where a fetch per step paid
    // a connection and the handshake's round trips (on the testbed's loaded links, 29-108 ms a step). Null when they could not
    // be pushed: the caller publishes them for the partner to fetch instead, and this logs why once.
    private async Task<ActivationRef?> PushAsync(string sourceId, HiddenStates states, CancellationToken cancellationToken)
    {
        try
        {
            string address = await PartnerAddressAsync().ConfigureAwait(false);
            return await dataPlane.PushActivationAsync(pairing.PartnerHost, address, sourceId, states, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            lock (_gate) _partnerAddress = null;
            if (Interlocked.Exchange(ref _pushFailedLogged, 1) == 0) LogPushFailed(logger, shard, pairing.PartnerShard, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Asks the partner's data address and opens the push connection now, when the pair forms, so the first split step (which
    /// carries a request's first token) does not pay for the grain call, the connect and the handshake. A failure here is
    /// quiet: the first push tries again, and falls back to publishing.
    /// </summary>
    public async Task PrepareAsync()
    {
        Interlocked.CompareExchange(ref _formed, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        _times.Start();
        try
        {
            string address = await PartnerAddressAsync().ConfigureAwait(false);
            await dataPlane.ConnectActivationsAsync(pairing.PartnerHost, address, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            lock (_gate) _partnerAddress = null;
            LogPrepareFailed(logger, shard, pairing.PartnerShard, e.Message);
        }
    }

    // The partner's host data plane, asked once (again after a push failed: the partner's silo may have restarted).
    private Task<string> PartnerAddressAsync()
    {
        lock (_gate)
        {
            return _partnerAddress ??= HostContext.On(pairing.PartnerHost, () => Partner.ActivationAddress());
        }
    }

    // The keys and values go as the hidden states do (pushed over the open connection, or published for the partner to fetch);
    // the call returns once the partner has written them.
    public async Task MoveKvAsync(MovedKv move, CancellationToken cancellationToken)
    {
        string sourceId = $"{shard}/kv/{move.RequestId}";
        var (activation, published) = await HandAsync(sourceId, move.Kv, cancellationToken).ConfigureAwait(false);
        try
        {
            var kv = new SplitKv { RequestId = move.RequestId, Positions = move.Slice.Positions, SplitLayer = move.Slice.EndLayer, Activation = activation, Partner = shard };
            await HostContext.On(pairing.PartnerHost, async () => { await Partner.MoveSplitKv(kv); return 0; }).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (published) await dataPlane.RetireActivationAsync(sourceId).ConfigureAwait(false);
        }
    }

    public async Task EndSplitAsync(string requestId)
    {
        try
        {
            await HostContext.On(pairing.PartnerHost, async () => { await Partner.EndSplit(requestId); return 0; }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogEndSplitFailed(logger, requestId, pairing.PartnerShard, e.Message);
        }
    }

    // Offers are coalesced and sent one at a time, so the partner never sees an older count after a newer one.
    public void Offer(int blocked)
    {
        if (blocked > 0) Interlocked.CompareExchange(ref _firstOffer, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        lock (_gate)
        {
            _latestOffer = blocked;
            if (_sending || _latestOffer == _sentOffer) return;
            _sending = true;
        }
        _ = SendOffersAsync();
    }

    private async Task SendOffersAsync()
    {
        while (true)
        {
            int offer;
            lock (_gate)
            {
                if (_latestOffer == _sentOffer)
                {
                    _sending = false;
                    return;
                }
                offer = _latestOffer;
            }
            try
            {
                await HostContext.On(pairing.PartnerHost, async () => { await Partner.OfferLive(offer); return 0; }).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                LogOfferFailed(logger, pairing.PartnerShard, e.Message);
            }
            lock (_gate) _sentOffer = offer;
        }
    }

    private void LogFirstToken()
    {
        long formed = Interlocked.Read(ref _formed), offered = Interlocked.Read(ref _firstOffer), stepped = Interlocked.Read(ref _firstStep);
        if (formed == 0 || offered == 0 || stepped == 0) return;
        static double Between(long from, long to) => System.Diagnostics.Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        LogFirstSplitToken(logger, shard, pairing.PartnerShard, Between(formed, now), Between(formed, offered), Between(offered, stepped), Between(stepped, now));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Live pair {Shard} → {Partner}: first split token {Total:F0} ms after the pair formed: a request waited to be pulled after {Offered:F0} ms, the partner pulled it {Pulled:F0} ms later, its first split step took {Step:F0} ms")]
    private static partial void LogFirstSplitToken(ILogger logger, string shard, string partner, double total, double offered, double pulled, double step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Live pair {Shard} → {Partner}: last {Steps} split steps, mean ms: publish {Publish:F2}, partner's call {Call:F2}, retire {Retire:F2}; this process compiled methods (JIT) for {Jit:F0} ms meanwhile")]
    private static partial void LogSplitTimes(ILogger logger, string shard, string partner, int steps, double publish, double call, double retire, double jit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live pair {Shard} → {Partner}: could not push a split step's hidden states, so it publishes them for the partner to fetch (logged once per pair): {Reason}")]
    private static partial void LogPushFailed(ILogger logger, string shard, string partner, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Live pair {Shard} → {Partner}: could not open the push connection when the pair formed (the first push tries again): {Reason}")]
    private static partial void LogPrepareFailed(ILogger logger, string shard, string partner, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live pair: could not tell {Partner} that request {Request} ended: {Reason}")]
    private static partial void LogEndSplitFailed(ILogger logger, string request, string partner, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live pair: could not offer requests to {Partner}: {Reason}")]
    private static partial void LogOfferFailed(ILogger logger, string partner, string reason);
}
