namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// One request as the caller streams it across instances: what it delivered so far, and the request that continues it on
/// another instance when the one serving it is lost. Generation is deterministic given the prompt and the tokens already
/// sampled (a greedy step is an argmax; a seeded sampler draws one number per token), so prefilling both and sampling the
/// rest continues the very same generation.
/// </summary>
public sealed class ResumableGeneration
{
    private readonly GenerateRequest _request;
    private readonly List<int> _delivered = [];
    private int[]? _promptIds;
    private double _elapsedBefore;
    private double _lastElapsed;

    /// <summary>The request as the caller sent it.</summary>
    public ResumableGeneration(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _request = request;
    }

    /// <summary>Tokens delivered to the caller.</summary>
    public int Delivered => _delivered.Count;

    /// <summary>How many times the request moved to another instance.</summary>
    public int Resumes { get; private set; }

    /// <summary>Whether the last update (with its finish reason) was delivered.</summary>
    public bool Finished { get; private set; }

    /// <summary>
    /// The request the next instance runs: the caller's, until the first update named the prompt's ids; then one whose
    /// prompt ends with the delivered tokens and that generates only the rest.
    /// </summary>
    public GenerateRequest Next()
    {
        if (Resumes == 0 || _promptIds is null) return _request;
        return _request with
        {
            PromptIds = [.. _promptIds, .. _delivered],
            MaxTokens = _request.MaxTokens - _delivered.Count,
            TokensBefore = _delivered.Count,
            RequestId = _request.RequestId is { } id ? $"{id}.resume{Resumes}" : null,
        };
    }

    /// <summary>
    /// Takes an update from the instance serving now; returns what the caller sees, or null for nothing: a resumed
    /// instance's first update (its prompt holds the delivered tokens, and the caller had the first one already).
    /// </summary>
    public GenerationUpdate? Accept(GenerationUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.PromptIds is not null && update.TokenId < 0 && update.Finish is null)
        {
            if (_promptIds is not null) return null;
            _promptIds = update.PromptIds;
            return update;
        }
        if (update.TokenId >= 0) _delivered.Add(update.TokenId);
        if (update.Finish is not null) Finished = true;
        _lastElapsed = _elapsedBefore + update.ElapsedMs;
        return Resumes == 0 ? update : update with { ElapsedMs = _lastElapsed, Resumes = Resumes };
    }

    /// <summary>The request moves to another instance: times go on from the last delivered update.</summary>
    public void Resumed()
    {
        Resumes++;
        _elapsedBefore = _lastElapsed;
    }

    /// <summary>
    /// Whether <paramref name="error"/> from a stream means its instance is lost (resume elsewhere) rather than that the request
    /// failed or the caller cancelled: the instance stopped under it, or the runtime could not reach or place its shard.
    /// </summary>
    public static bool IsInstanceLoss(Exception error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error is InstanceLostException or EnumerationAbortedException && !cancellationToken.IsCancellationRequested
            || IsRuntimeFault(error, cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="error"/> of a grain call is the runtime's, never the request's (a request's errors are argument,
    /// lookup and operation errors), so the call may be tried again: Orleans' own failures (silo unavailable, message rejected,
    /// placement refused), a timeout, or a cancellation the caller did not ask for (the runtime cancels a call whose target it
    /// could not address, as when a grain directory partition moves off a dead silo).
    /// </summary>
    public static bool IsRuntimeFault(Exception error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (cancellationToken.IsCancellationRequested) return false;
        return error is OrleansException or TimeoutException or OperationCanceledException;
    }
}
