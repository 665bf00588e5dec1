namespace BlitzScale.Scaling.Autoscaling;

/// <summary>
/// One model's autoscaling policy: the paper's thresholds (a share of capacity), how long load must stay low before an
/// instance is drained, the instance range, and the timings of the loop. Defaults are the named constants.
/// </summary>
public sealed record AutoscalerOptions
{
    /// <summary>Default of <see cref="PrefillScaleDown"/>.</summary>
    public const double DefaultPrefillScaleDown = 0.5;
    /// <summary>Default of <see cref="PrefillScaleUp"/>.</summary>
    public const double DefaultPrefillScaleUp = 0.7;
    /// <summary>Default of <see cref="DecodeScaleDown"/>.</summary>
    public const double DefaultDecodeScaleDown = 0.75;
    /// <summary>Default of <see cref="DecodeScaleUp"/>.</summary>
    public const double DefaultDecodeScaleUp = 0.95;
    /// <summary>Default of <see cref="MinInstances"/>.</summary>
    public const int DefaultMinInstances = 1;
    /// <summary>Default of <see cref="MaxInstances"/>.</summary>
    public const int DefaultMaxInstances = 8;
    /// <summary>The largest <see cref="MaxInstances"/> accepted (the model grain's limit on instances).</summary>
    public const int MaxMaxInstances = 256;
    /// <summary>Default of <see cref="ScaleDownDelay"/>: 333 ms, the paper's.</summary>
    public static readonly TimeSpan DefaultScaleDownDelay = TimeSpan.FromMilliseconds(333);
    /// <summary>Default of <see cref="WarmUp"/>.</summary>
    public static readonly TimeSpan DefaultWarmUp = TimeSpan.FromSeconds(1);
    /// <summary>Default of <see cref="TickInterval"/>.</summary>
    public static readonly TimeSpan DefaultTickInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>Default of <see cref="IdleTimeout"/>.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(30);
    /// <summary>Default of <see cref="WarmKeep"/>.</summary>
    public static readonly TimeSpan DefaultWarmKeep = TimeSpan.FromSeconds(10);
    /// <summary>Default of <see cref="PrefillWindow"/>.</summary>
    public static readonly TimeSpan DefaultPrefillWindow = TimeSpan.FromSeconds(1);

    /// <summary>Prefill load (a share of prefill capacity) under which an instance may be drained.</summary>
    public double PrefillScaleDown { get; init; } = DefaultPrefillScaleDown;
    /// <summary>Prefill load above which instances are added.</summary>
    public double PrefillScaleUp { get; init; } = DefaultPrefillScaleUp;
    /// <summary>Decode load (a share of the KV blocks) under which an instance may be drained.</summary>
    public double DecodeScaleDown { get; init; } = DefaultDecodeScaleDown;
    /// <summary>Decode load above which instances are added.</summary>
    public double DecodeScaleUp { get; init; } = DefaultDecodeScaleUp;
    /// <summary>Fewest active instances; 0 lets the model scale to zero after <see cref="IdleTimeout"/>.</summary>
    public int MinInstances { get; init; } = DefaultMinInstances;
    /// <summary>Most active instances (loading ones counted).</summary>
    public int MaxInstances { get; init; } = DefaultMaxInstances;
    /// <summary>How long load must stay under both scale-down thresholds before one instance is drained.</summary>
    public TimeSpan ScaleDownDelay { get; init; } = DefaultScaleDownDelay;
    /// <summary>How long after an instance starts serving its samples are left out of the capacity estimate.</summary>
    public TimeSpan WarmUp { get; init; } = DefaultWarmUp;
    /// <summary>How often the model grain reads its instances and decides.</summary>
    public TimeSpan TickInterval { get; init; } = DefaultTickInterval;
    /// <summary>With <see cref="MinInstances"/> 0: how long the model must be completely idle before its last instance is drained.</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;
    /// <summary>
    /// How long a drained instance stays Warm (parameters kept on its GPU, revivable at once) before its GPU is released.
    /// A Warm instance still holds its GPU, so it costs GPU time; a later scale-up loads again from peers instead.
    /// </summary>
    public TimeSpan WarmKeep { get; init; } = DefaultWarmKeep;
    /// <summary>
    /// Prefill capacity is the prompt tokens an instance prefills in this window: queued prefill tokens equal to it are a
    /// prefill load of 1 (a prompt at the back of the queue waits about this long for its first token).
    /// </summary>
    public TimeSpan PrefillWindow { get; init; } = DefaultPrefillWindow;

    /// <summary>Checks every field; the message names the field, what was expected and what was found.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        Share(nameof(PrefillScaleDown), PrefillScaleDown);
        Share(nameof(PrefillScaleUp), PrefillScaleUp);
        Share(nameof(DecodeScaleDown), DecodeScaleDown);
        Share(nameof(DecodeScaleUp), DecodeScaleUp);
        if (!(PrefillScaleDown < PrefillScaleUp))
            throw new ArgumentException($"autoscaler {nameof(PrefillScaleDown)}: expected below {nameof(PrefillScaleUp)} ({PrefillScaleUp}), found {PrefillScaleDown}");
        if (!(DecodeScaleDown < DecodeScaleUp))
            throw new ArgumentException($"autoscaler {nameof(DecodeScaleDown)}: expected below {nameof(DecodeScaleUp)} ({DecodeScaleUp}), found {DecodeScaleDown}");
        if (MinInstances < 0 || MinInstances > MaxMaxInstances)
            throw new ArgumentException($"autoscaler {nameof(MinInstances)}: expected 0 to {MaxMaxInstances}, found {MinInstances}");
        if (MaxInstances < Math.Max(1, MinInstances) || MaxInstances > MaxMaxInstances)
            throw new ArgumentException($"autoscaler {nameof(MaxInstances)}: expected {Math.Max(1, MinInstances)} ({nameof(MinInstances)} or 1) to {MaxMaxInstances}, found {MaxInstances}");
        Positive(nameof(ScaleDownDelay), ScaleDownDelay, allowZero: true);
        Positive(nameof(WarmUp), WarmUp, allowZero: true);
        Positive(nameof(TickInterval), TickInterval, allowZero: false);
        Positive(nameof(IdleTimeout), IdleTimeout, allowZero: true);
        Positive(nameof(PrefillWindow), PrefillWindow, allowZero: false);
        Positive(nameof(WarmKeep), WarmKeep, allowZero: true);
    }

    private static void Share(string name, double value)
    {
        if (!(value > 0 && value <= 1))
            throw new ArgumentException($"autoscaler {name}: expected a share of capacity in (0, 1], found {value}");
    }

    private static void Positive(string name, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
            throw new ArgumentException($"autoscaler {name}: expected a {(allowZero ? "non-negative" : "positive")} duration, found {value.TotalMilliseconds} ms");
    }
}
