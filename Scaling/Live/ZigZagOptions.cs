namespace BlitzScale.Scaling.Live;

/// <summary>How many live-scaled requests may be split between LiveNew and LiveOld at once, and how that limit falls.</summary>
public sealed record ZigZagOptions
{
    /// <summary>Default <see cref="InitialLimit"/> (the paper's starting point).</summary>
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
    }
}
