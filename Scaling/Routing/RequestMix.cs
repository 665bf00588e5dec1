namespace BlitzScale.Scaling.Routing;

/// <summary>
/// The shape of the requests a model serves: a running mean of their prompts and estimates (prompt and generation), each
/// new request weighing <see cref="Weight"/>. Whether an instance is bound by its prefill or by its seats depends on the
/// requests it serves together, not on any one of them.
/// </summary>
/// <param name="EstimatedTokens">The mean estimate.</param>
/// <param name="PromptTokens">The mean prompt.</param>
public readonly record struct RequestMix(double EstimatedTokens, double PromptTokens)
{
    /// <summary>A new request's weight in the mean: about the last 16 requests, an instance's seats in the benches.</summary>
    public const double Weight = 1.0 / 16;

    /// <summary>The mix with one more request; the request alone when there was none.</summary>
    public static RequestMix With(RequestMix? mix, long estimatedTokens, long promptTokens) => mix is not { } known
        ? new RequestMix(estimatedTokens, promptTokens)
        : new RequestMix(known.EstimatedTokens + Weight * (estimatedTokens - known.EstimatedTokens), known.PromptTokens + Weight * (promptTokens - known.PromptTokens));

    /// <summary>
    /// Whether an instance with <paramref name="seats"/> serving requests of this shape is bound by its seats rather than its
    /// prefill (<see cref="RequestCost"/>); false where the step budget is not known.
    /// </summary>
    public bool SeatsBind(InstanceSeats seats) => seats.StepTokens > 0 && RequestCost.Of(seats, EstimatedTokens, PromptTokens).SeatsBind;
}
