namespace BlitzScale.Cli.Replay;

/// <summary>
/// How a trace's token counts are fitted to a small model: scaled by <see cref="Scale"/>, then capped (as the paper
/// truncates prompts to 4095 tokens). The caps always leave prompt + output within the model's context.
/// </summary>
/// <param name="MaxPromptTokens">Largest prompt, BOS included.</param>
/// <param name="MaxOutputTokens">Largest output.</param>
/// <param name="Scale">Factor applied to both counts before the caps (1 keeps them).</param>
internal sealed record TokenCaps(int MaxPromptTokens, int MaxOutputTokens, double Scale = 1)
{
    /// <summary>The default output cap's share of the context (the prompt gets the rest).</summary>
    public const double DefaultOutputShare = 0.25;

    /// <summary>
    /// Caps for a model of <paramref name="contextTokens"/>: the ones given, else a quarter of the context for the output and
    /// the rest for the prompt.
    /// </summary>
    /// <exception cref="ArgumentException">A cap is below 1, or the two together exceed the context.</exception>
    public static TokenCaps For(int contextTokens, int? maxPrompt, int? maxOutput, double scale = 1)
    {
        CheckGiven(maxPrompt, maxOutput, scale);
        int output = maxOutput ?? Math.Max(1, (int)(contextTokens * DefaultOutputShare));
        int prompt = maxPrompt ?? contextTokens - output;
        // The output cap is ≥ 1 by now (given and checked, or the default); the default prompt cap may not be.
        if (prompt < 1) throw new ArgumentException($"--max-prompt-tokens must be ≥ 1, found {prompt}");
        if (prompt + output > contextTokens)
            throw new ArgumentException($"--max-prompt-tokens {prompt} + --max-output-tokens {output} = {prompt + output} exceeds the model's context of {contextTokens}");
        return new TokenCaps(prompt, output, scale);
    }

    /// <summary>What can be checked of the caps and the scale before the model's context is known.</summary>
    /// <exception cref="ArgumentException">A cap given below 1, or a scale that is not a positive number.</exception>
    public static void CheckGiven(int? maxPrompt, int? maxOutput, double scale)
    {
        if (!(scale > 0) || !double.IsFinite(scale)) throw new ArgumentException($"--token-scale must be > 0, found {scale}");
        if (maxOutput is < 1) throw new ArgumentException($"--max-output-tokens must be ≥ 1, found {maxOutput}");
        if (maxPrompt is < 1) throw new ArgumentException($"--max-prompt-tokens must be ≥ 1, found {maxPrompt}");
    }

    /// <summary>The prompt length a trace's input count becomes (≥ 1: the BOS).</summary>
    public int Prompt(int inputTokens) => Math.Clamp(Scaled(inputTokens), 1, MaxPromptTokens);

    /// <summary>The output length a trace's output count becomes (≥ 1).</summary>
    public int Output(int outputTokens) => Math.Clamp(Scaled(outputTokens), 1, MaxOutputTokens);

    private int Scaled(int tokens) => (int)Math.Round(tokens * Scale, MidpointRounding.AwayFromZero);
}
