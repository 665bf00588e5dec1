using System.Globalization;

namespace BlitzScale.Scaling.Autoscaling;

/// <summary>
/// The autoscaler of one model (the paper's policy): each tick it reads its instances' signals and decides to add
/// instances, drain one, or do nothing. Pure and deterministic: time only from the <see cref="TimeProvider"/>, no I/O; the
/// model grain feeds it and carries its decisions out.
/// </summary>
/// <remarks>
/// <code>
/// prefill load = (queued prefill tokens + held prompt tokens) / (active × prefill tokens/s × prefill window)
/// decode load  = KV blocks in use      / (active × KV blocks per instance)
/// active       = Loading + LiveNew + Serving + LiveOld   (a load in flight already counts: no 2 → 4 → 8 cascade)
/// up:   a load above its up threshold → as many instances as bring it to the threshold, at once (capped at max)
/// down: both loads under their down thresholds for the scale-down delay, no load in flight, and one fewer instance
///       would stay under the up thresholds → drain the newest serving instance; the delay starts again
/// zero: with min 0, the last instance is drained after the idle timeout with nothing queued, running or held
/// </code>
/// Prefill capacity is measured under load (<see cref="PrefillCapacity"/>); until it is, it is the instances' rating at start
/// (the cost profile's, or measured before their first request), and only while neither is known (no instance has started
/// serving) does the prefill load read 0, the decode load and held requests driving the decisions.
/// </remarks>
public sealed class Autoscaler
{
    private readonly AutoscalerOptions _options;
    private readonly TimeProvider _time;
    private readonly PrefillCapacity _capacity;
    private DateTimeOffset? _lowSince;
    private DateTimeOffset? _idleSince;
    private int _kvBlocksPerInstance;

    /// <summary>An autoscaler with <paramref name="options"/> on <paramref name="time"/>.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Autoscaler(AutoscalerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _options = options;
        _time = time;
        _capacity = new PrefillCapacity(options.WarmUp);
    }

    /// <summary>The policy.</summary>
    public AutoscalerOptions Options => _options;

    /// <summary>
    /// Decides on the model's instances now, with <paramref name="heldRequests"/> requests held at the model for want of an
    /// instance or a free seat (late binding), which will reserve <paramref name="heldKvBlocks"/> KV blocks once routed: they
    /// count with the blocks in use in the decode load, since no instance's batcher holds them yet; and their prompts,
    /// <paramref name="heldPromptTokens"/>, count with the instances' queued prefill tokens in the prefill load (an instance
    /// that bounds its unstarted prompts leaves the rest of a long-prompt burst at the model, not in its own queue).
    /// </summary>
    public ScalingDecision Decide(IReadOnlyList<InstanceSignals> instances, int heldRequests, long heldKvBlocks = 0, long heldPromptTokens = 0)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentOutOfRangeException.ThrowIfNegative(heldRequests);
        ArgumentOutOfRangeException.ThrowIfNegative(heldKvBlocks);
        ArgumentOutOfRangeException.ThrowIfNegative(heldPromptTokens);
        var now = _time.GetUtcNow();
        _capacity.Observe(instances, now);
        var active = instances.Where(i => i.IsActive).ToList();
        int from = active.Count;
        int loading = active.Count(i => i.IsLoading);
        int kvNow = instances.Where(i => i.IsActive).Select(i => i.KvBlocksTotal).DefaultIfEmpty(0).Max();
        if (kvNow > 0) _kvBlocksPerInstance = kvNow;

        long queued = active.Sum(i => i.QueuedPrefillTokens) + heldPromptTokens;
        int kvUsed = active.Sum(i => i.KvBlocksUsed);
        long kvDemand = kvUsed + heldKvBlocks;
        double prefillPerInstance = _capacity.TokensPerSecond * _options.PrefillWindow.TotalSeconds;
        double prefillLoad = Load(queued, from, prefillPerInstance);
        double decodeLoad = Load(kvDemand, from, _kvBlocksPerInstance);
        var signals = new ScalingSignals(prefillLoad, decodeLoad, queued, active.Sum(i => i.RunningDecodeTokens), kvUsed,
            _capacity.TokensPerSecond, _kvBlocksPerInstance, heldRequests, from - loading, loading,
            active.Select(i => i.RecentTtftMs).DefaultIfEmpty(0).Max(), active.Select(i => i.RecentTbtMs).DefaultIfEmpty(0).Max(),
            PrefillCapacityRated: !_capacity.Measured && _capacity.TokensPerSecond > 0);

        bool idle = queued == 0 && kvUsed == 0 && heldRequests == 0 && active.All(i => i.RunningDecodeTokens == 0);
        _idleSince = idle ? _idleSince ?? now : null;

        // Up: below the minimum, requests held with nothing on its way, or a load over its threshold.
        int needed = Math.Max(_options.MinInstances, heldRequests > 0 ? 1 : 0);
        string? why = null;
        if (from < needed) why = heldRequests > 0 && from == 0 ? $"{heldRequests} request(s) held with no instance" : $"below the minimum of {_options.MinInstances}";
        if (prefillLoad > _options.PrefillScaleUp)
        {
            needed = Math.Max(needed, Needed(queued, prefillPerInstance * _options.PrefillScaleUp));
            why ??= Over("prefill", prefillLoad, _options.PrefillScaleUp);
        }
        if (decodeLoad > _options.DecodeScaleUp)
        {
            needed = Math.Max(needed, Needed(kvDemand, _kvBlocksPerInstance * _options.DecodeScaleUp));
            why ??= Over("decode", decodeLoad, _options.DecodeScaleUp);
        }
        if (why is not null)
        {
            _lowSince = null;
            int to = Math.Min(needed, _options.MaxInstances);
            return to > from
                ? new ScalingDecision(ScalingAction.Up, from, to, why + (loading > 0 ? $", counting {loading} loading" : ""), signals)
                : new ScalingDecision(ScalingAction.None, from, from, $"{why}, but at the maximum of {_options.MaxInstances}", signals);
        }

        bool low = prefillLoad < _options.PrefillScaleDown && decodeLoad < _options.DecodeScaleDown;
        if (!low || loading > 0 || from <= _options.MinInstances)
        {
            _lowSince = null;
            return Keep(from, !low ? "load between the thresholds" : loading > 0 ? "loads in flight" : $"at the minimum of {_options.MinInstances}", signals);
        }
        _lowSince ??= now;
        if (from == 1)
        {
            // The last instance goes only when nothing at all is left to serve, for the idle timeout.
            if (_idleSince is not { } idleSince || now - idleSince < _options.IdleTimeout)
                return Keep(from, $"the last instance stays until idle for {Ms(_options.IdleTimeout)}", signals);
            return Down(from, active, $"idle for {Ms(now - idleSince)}", signals, now);
        }
        if (now - _lowSince.Value < _options.ScaleDownDelay)
            return Keep(from, $"low for {Ms(now - _lowSince.Value)} of {Ms(_options.ScaleDownDelay)}", signals);
        // Draining one must not push the rest over an up threshold (it would only load again).
        if (Load(queued, from - 1, prefillPerInstance) > _options.PrefillScaleUp || Load(kvDemand, from - 1, _kvBlocksPerInstance) > _options.DecodeScaleUp)
            return Keep(from, "one fewer instance would be over an up threshold", signals);
        return Down(from, active, $"under the down thresholds ({_options.PrefillScaleDown} prefill, {_options.DecodeScaleDown} decode) for {Ms(now - _lowSince.Value)}", signals, now);
    }

    /// <summary>
    /// The Warm instances kept longer than <see cref="AutoscalerOptions.WarmKeep"/>, oldest first: their GPUs are to be
    /// released. A Warm instance holds its GPU (GPU time spent on nothing); past the keep, loading again from peers is the cheaper way back.
    /// One that a load in progress fetches from is kept until that load no longer does: released mid-transfer, it would cost the
    /// load a replan and a slower source (bench chaos, fault seed 17: 6.07 s where 4.4 s was usual).
    /// </summary>
    public IReadOnlyList<int> ExpiredWarm(IReadOnlyList<InstanceSignals> instances)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var now = _time.GetUtcNow();
        return [.. instances.Where(i => i.State == Instances.InstanceState.Warm && !i.FeedsLoad && now - i.Since >= _options.WarmKeep)
            .OrderBy(i => i.Since).ThenBy(i => i.Instance).Select(i => i.Instance)];
    }

    private ScalingDecision Down(int from, List<InstanceSignals> active, string why, ScalingSignals signals, DateTimeOffset now)
    {
        // The newest instance that serves alone goes: the oldest have the warmest caches; a live pair finishes its load first.
        // One whose shard did not answer this tick is not chosen: its drain could not be started.
        var drain = active.Where(i => i.State == Instances.InstanceState.Serving && i.Answered).OrderByDescending(i => i.Instance).FirstOrDefault();
        if (drain is null) return Keep(from, "no instance serves alone", signals);
        _lowSince = now;
        _idleSince = null;
        return new ScalingDecision(ScalingAction.Down, from, from - 1, why, signals, drain.Instance);
    }

    private static ScalingDecision Keep(int from, string why, ScalingSignals signals) => new(ScalingAction.None, from, from, why, signals);

    // Load over the capacity of `instances`; unknown capacity reads 0 load; any load on no instance reads as infinite.
    private static double Load(double load, int instances, double perInstance)
    {
        if (load <= 0) return 0;
        if (instances == 0) return double.PositiveInfinity;
        return perInstance > 0 ? load / (instances * perInstance) : 0;
    }

    private static int Needed(double load, double perInstanceAtThreshold) =>
        perInstanceAtThreshold > 0 ? (int)Math.Min(AutoscalerOptions.MaxMaxInstances, Math.Ceiling(load / perInstanceAtThreshold)) : 1;

    private static string Over(string phase, double load, double threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"{phase} load {Format(load)} over {threshold}");

    private static string Format(double load) => double.IsPositiveInfinity(load) ? "∞ (no instance)" : load.ToString("F2", CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalMilliseconds:F0} ms");
}
