namespace BlitzScale.Scaling.Live;

/// <summary>How many live-scaled requests may be split between LiveNew and LiveOld at once, and how that limit falls.</summary>
public sealed record ZigZagOptions
{
    /// <summary>
    /// Default <see cref="InitialLimit"/>. The paper starts at 4; here a split request stays split for its whole generation,
    /// so 4 held a pair to a few requests at a time: in bench live it started about 5.5 requests per 0.5 s of the load,
    /// against 4–5 for its busy instance alone, and 6–8 with 16 and prefill-heavy requests routed to LiveNew first (8e5ada5).
    /// </summary>
    public const int DefaultInitialLimit = 16;
    /// <summary>Default <see cref="MinLimit"/>.</summary>
    public const int DefaultMinLimit = 1;
    /// <summary>Default <see cref="LowerAfter"/>, in milliseconds.</summary>
    public const int DefaultLowerAfterMilliseconds = 200;

    /// <summary>Split requests allowed at once at the start, and again whenever blocked requests exceed the limit.</summary>
    public int InitialLimit { get; init; } = DefaultInitialLimit;

    /// <summary>The floor the limit is lowered to while calm; at least 1 so a blocked request can always be pulled.</summary>
    public int MinLimit { get; init; } = DefaultMinLimit;

    /// <summary>How long no request may be queued before the limit drops by one.</summary>
    public TimeSpan LowerAfter { get; init; } = TimeSpan.FromMilliseconds(DefaultLowerAfterMilliseconds);

    /// <summary>
    /// When a split request's keys and values of [0, j) move to LiveOld, which then runs it whole (<see cref="SplitMove"/>).
    /// Default <see cref="SplitMove.Never"/>: in bench live both moving rules made blitz's p99 worse, the keys and values
    /// loading the link into the LiveOld's host (docs/live-scaling.md, "Limits today"); a silo sets it with --live-move.
    /// </summary>
    public SplitMove Move { get; init; } = SplitMove.Never;

    /// <summary>Checks the ranges, naming the offending option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (MinLimit < 1)
            throw new ArgumentOutOfRangeException(nameof(MinLimit), MinLimit, "expected a minimum split limit ≥ 1");
        if (InitialLimit < MinLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialLimit), InitialLimit,
                $"expected an initial split limit ≥ {nameof(MinLimit)} = {MinLimit}");
        }
        if (LowerAfter <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(LowerAfter), LowerAfter, "expected a calm period > 0");
        if (!Enum.IsDefined(Move))
            throw new ArgumentOutOfRangeException(nameof(Move), Move, "expected Never, WhenWaiting or AfterPrompt");
    }
}
