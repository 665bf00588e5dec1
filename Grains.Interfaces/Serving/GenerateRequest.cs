namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>One generation: a prompt (text, or ids that already start with BOS) and how to sample.</summary>
[GenerateSerializer, Immutable, Alias("blitz.GenerateRequest")]
public sealed record GenerateRequest
{
    /// <summary>Defaults for <see cref="MaxTokens"/>.</summary>
    public const int DefaultMaxTokens = 256;

    /// <summary>The prompt text, tokenized by the instance (with BOS). Ignored when <see cref="PromptIds"/> is set.</summary>
    [Id(0)] public string Prompt { get; init; } = "";
    /// <summary>Prompt token ids, BOS included, instead of text.</summary>
    [Id(1)] public int[]? PromptIds { get; init; }
    /// <summary>Most tokens to generate.</summary>
    [Id(2)] public int MaxTokens { get; init; } = DefaultMaxTokens;
    /// <summary>0 is greedy.</summary>
    [Id(3)] public float Temperature { get; init; }
    /// <summary>Nucleus mass (1 keeps all).</summary>
    [Id(4)] public float TopP { get; init; } = 1f;
    /// <summary>Keep the k most likely (0 keeps all).</summary>
    [Id(5)] public int TopK { get; init; }
    /// <summary>Sampling seed.</summary>
    [Id(6)] public ulong Seed { get; init; }
    /// <summary>Whether EOS ends the generation.</summary>
    [Id(7)] public bool StopAtEos { get; init; } = true;
    /// <summary>An id for logs and cancellation; one is made when empty.</summary>
    [Id(8)] public string? RequestId { get; init; }

    /// <summary>
    /// The one rule for <see cref="MaxTokens"/>, checked by the CLI before it connects and by the instance before it
    /// tokenizes: a request generates at least one token.
    /// </summary>
    /// <exception cref="ArgumentException">MaxTokens is below 1; the message names it, what was expected and what was found.</exception>
    public void Validate()
    {
        if (MaxTokens < 1) throw new ArgumentException($"max tokens: expected at least 1, found {MaxTokens}");
    }
    /// <summary>
    /// Tokens an earlier attempt of this request already delivered, when it is resumed on another instance: the prompt ends
    /// with them, the sampler continues after as many draws, <see cref="MaxTokens"/> counts only the rest, and the updates'
    /// indices continue from here. 0 for a new request.
    /// </summary>
    [Id(9)] public int TokensBefore { get; init; }

    /// <summary>
    /// Set by a busy instance that hands a waiting request to its live-scaling partner and relays the tokens: the partner
    /// serves it without counting it in its serving metrics, since the instance the caller is connected to counts it.
    /// Callers leave it false.
    /// </summary>
    [Id(10)] public bool Relayed { get; init; }
}
