namespace BlitzScale.Scaling.Routing;

/// <summary>
/// What a request of P prompt tokens and O generated ones costs an instance with known seats, served whole: P ÷ B of a step's
/// prefill (B = <see cref="InstanceSeats.StepTokens"/>), and O + P ÷ B steps of one of the S seats that requests of its size
/// get (<see cref="InstanceSeats.RequestsOf"/>). One request's (<see cref="RequestRouter.SplitHelps"/>) or the mix's
/// (<see cref="RequestMix.SeatsBind"/>).
/// </summary>
/// <param name="Prefill">P ÷ B.</param>
/// <param name="Generated">O.</param>
/// <param name="Seated">S; below 1 when one request of this size does not fit.</param>
internal readonly record struct RequestCost(double Prefill, double Generated, long Seated)
{
    /// <param name="seats">The instance's seats, with a step budget (<see cref="InstanceSeats.StepTokens"/> above 0).</param>
    /// <param name="estimatedTokens">Prompt and generation.</param>
    /// <param name="promptTokens">The prompt.</param>
    public static RequestCost Of(InstanceSeats seats, double estimatedTokens, double promptTokens) => new(
        promptTokens / seats.StepTokens, Math.Max(0, estimatedTokens - promptTokens), seats.RequestsOf((long)Math.Ceiling(estimatedTokens)));

    /// <summary>The share of the seats' steps it takes: (O + P ÷ B) ÷ S.</summary>
    public double Seat => (Generated + Prefill) / Seated;

    /// <summary>Whether the seats bind an instance serving requests of this shape rather than its prefill.</summary>
    public bool SeatsBind => Seated < 1 || Seat > Prefill;
}
