
namespace BlitzScale.Scaling.Serving;

/// <summary>
/// One request as a <see cref="ContinuousBatcher"/> tracks it: the prompt, the tokens generated so far, how
/// many positions have their keys and values computed, and the KV blocks it owns. Only the batcher changes it.
/// </summary>
public sealed class ServingSequence
{
    private readonly int[] _promptIds;
    private readonly List<int> _output;

    /// <summary>A request of <paramref name="promptIds"/> (BOS included) generating at most <paramref name="maxTokens"/> tokens.</summary>
    /// <exception cref="ArgumentException">The id or the prompt is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is below 1.</exception>
    public ServingSequence(string id, ReadOnlySpan<int> promptIds, int maxTokens, bool stopAtEos = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (promptIds.IsEmpty)
            throw new ArgumentException("the prompt has no tokens (it should start with BOS)", nameof(promptIds));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        Id = id;
        _promptIds = promptIds.ToArray();
        MaxTokens = maxTokens;
        StopAtEos = stopAtEos;
        // Sized for typical outputs up front so decoding rarely grows the list.
        _output = new List<int>(Math.Min(maxTokens, 256));
    }

    /// <summary>The request id, unique among the batcher's waiting and running requests.</summary>
    public string Id { get; }
    /// <summary>The prompt.</summary>
    public IReadOnlyList<int> PromptIds => _promptIds;
    /// <summary>Tokens in the prompt.</summary>
    public int PromptLength => _promptIds.Length;
    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; }
    /// <summary>Whether EOS ends the sequence.</summary>
    public bool StopAtEos { get; }

    /// <summary>Where it is in its life.</summary>
    public SequenceState State { get; internal set; }
    /// <summary>Why it ended, once <see cref="SequenceState.Finished"/>.</summary>
    public ServingFinishReason? Finish { get; internal set; }
    /// <summary>Positions whose keys and values are in the cache.</summary>
    public int NumComputedTokens { get; internal set; }
    /// <summary>The generated tokens (EOS excluded).</summary>
    public IReadOnlyList<int> OutputIds => _output;
    /// <summary>Prompt plus generated tokens.</summary>
    public int TotalTokens => _promptIds.Length + _output.Count;
    /// <summary>Whether the whole prompt has been computed, so each step now decodes one token.</summary>
    public bool PrefillDone => NumComputedTokens >= _promptIds.Length;
    /// <summary>Its KV block table: empty until admitted, then covering prompt + max tokens.</summary>
    public KvBlockTable Kv { get; } = new();

    // Cancelled while a plan including it executes; finished at that plan's completion.
    internal bool CancelRequested { get; set; }
    // Part of the plan being executed.
    internal bool InFlight { get; set; }
    // Its node in the waiting queue, so cancelling a waiting request is O(1).
    internal LinkedListNode<ServingSequence>? QueueNode { get; set; }

    internal int TokenAt(int position) =>
        position < _promptIds.Length ? _promptIds[position] : _output[position - _promptIds.Length];

    internal void Append(int token) => _output.Add(token);
}
