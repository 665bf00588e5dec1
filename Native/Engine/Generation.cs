using BlitzScale.Native.Sampling;

namespace BlitzScale.Native.Engine;

/// <summary>Options of one generation.</summary>
/// <param name="MaxTokens">Most tokens to generate.</param>
/// <param name="Sampling">Token choice; greedy when null.</param>
/// <param name="StopAtEos">Whether EOS ends the sequence (it is then not part of the output).</param>
public sealed record GenerationOptions(int MaxTokens = 256, SamplingOptions? Sampling = null, bool StopAtEos = true);

/// <summary>Why a generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model produced EOS.</summary>
    Eos,
    /// <summary>MaxTokens were generated.</summary>
    Length,
}

/// <summary>The outcome of one generation.</summary>
/// <param name="PromptIds">The prompt as run, BOS included.</param>
/// <param name="OutputIds">Only the generated tokens.</param>
/// <param name="TtftMs">From the start to the first generated token.</param>
/// <param name="TokensPerSecond">Decode rate: tokens after the first ÷ the time after the first (0 with fewer than two tokens).</param>
/// <param name="Finish">Why it ended.</param>
public sealed record GenerationResult(int[] PromptIds, int[] OutputIds, double TtftMs, double TokensPerSecond, FinishReason Finish);
