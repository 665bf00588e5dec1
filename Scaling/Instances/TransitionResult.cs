namespace BlitzScale.Scaling.Instances;

/// <summary>
/// The outcome of asking an instance to change state: applied, or refused with the reason. A refusal is a value, not an
/// exception: the caller decides whether it is a user's mistake (an error to report) or a stale event (to ignore).
/// </summary>
/// <param name="Instance">The instance asked.</param>
/// <param name="From">Its state when asked (<see cref="InstanceState.Inactive"/> for an instance the model does not have).</param>
/// <param name="To">The state asked for (after an applied change, its state now).</param>
/// <param name="Refusal">Why the change was refused; null when it was applied.</param>
/// <param name="Partner">The other instance changed in the same step (pairing, unpairing, finishing a live pair, a failure that unpaired it).</param>
public readonly record struct TransitionResult(int Instance, InstanceState From, InstanceState To, string? Refusal = null, int? Partner = null)
{
    /// <summary>Whether the change was made.</summary>
    public bool Applied => Refusal is null;

    /// <summary><c>"instance 3: Loading → Serving"</c>, with <c>" refused: why"</c> when refused.</summary>
    public override string ToString() =>
        $"instance {Instance}: {From} → {To}" + (Partner is { } p ? $" (partner {p})" : "") + (Refusal is null ? "" : $" refused: {Refusal}");

    internal static TransitionResult Refused(int instance, InstanceState from, InstanceState to, string why) => new(instance, from, to, why);
}
