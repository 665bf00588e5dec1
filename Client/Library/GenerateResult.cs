namespace BlitzScale.Client;

/// <summary>A whole generation, as <see cref="BlitzScaleClient.GenerateAsync"/> returns it.</summary>
/// <param name="Model">The model that served it.</param>
/// <param name="Instance">The instance (shard key) that served it.</param>
/// <param name="PromptIds">The prompt as run, BOS included.</param>
/// <param name="OutputIds">The generated tokens only.</param>
/// <param name="Text">The generated text.</param>
/// <param name="TtftMs">From the call to the first generated token, as the client saw it.</param>
/// <param name="TokensPerSecond">Tokens after the first ÷ time after the first (0 with fewer than two).</param>
/// <param name="FinishReason">"eos", "length" or "cancelled".</param>
/// <param name="Emulated">
/// Whether the instance runs on an emulated GPU (the timed backend): its tokens are pseudo-tokens and its times come from a
/// cost profile, so a report of this result must say so.
/// </param>
public sealed record GenerateResult(
    string Model, string Instance, int[] PromptIds, int[] OutputIds, string Text, double TtftMs, double TokensPerSecond, string FinishReason,
    bool Emulated = false);
