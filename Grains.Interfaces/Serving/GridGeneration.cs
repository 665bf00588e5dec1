using System.Runtime.CompilerServices;

namespace BlitzScale.Grains.Interfaces.Serving;

/// <summary>
/// The one way anything generates through the grid: the model grain decides where (<see cref="IModelGrain.Route"/>), the
/// tokens stream from that instance's shard straight to the caller, and the ticket goes back when the stream ends. No
/// single activation relays a model's tokens.
/// </summary>
public static class GridGeneration
{
    /// <summary>
    /// Streams a generation of <paramref name="model"/>: first the prompt and the instance, then each token, the last with
    /// its finish reason. Cancelling stops the request on its instance and frees its KV blocks.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The model is not deployed.</exception>
    /// <exception cref="ArgumentException">The request can never be served (too long, bad sampling options).</exception>
    /// <exception cref="InvalidOperationException">No instance could take the request in time.</exception>
    public static async IAsyncEnumerable<GenerationUpdate> GenerateAsync(
        this IGrainFactory grains, string model, GenerateRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(request);
        var router = grains.GetGrain<IModelGrain>(model);
        var route = await router.Route(EstimatedTokens(request)).WaitAsync(cancellationToken);
        try
        {
            // The shard is active on its host already; the host in the context only matters if it had to be placed again.
            RequestContext.Set(HostContextKey, route.Host);
            var shard = grains.GetGrain<ILayerShardGrain>(route.Shard);
            await foreach (var update in shard.Generate(request, cancellationToken).WithCancellation(cancellationToken))
                yield return update;
        }
        finally
        {
            await router.Release(route.Ticket);
        }
    }

    /// <summary>The request-context key that carries the host a call's target grain must be placed on.</summary>
    public const string HostContextKey = "blitz.host";

    /// <summary>Tokens a request may still cost its instance: its prompt (about 4 characters a token as text) and every token it may generate.</summary>
    public static long EstimatedTokens(GenerateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (request.PromptIds?.Length ?? request.Prompt.Length / 4 + 1) + Math.Max(0, request.MaxTokens);
    }
}
