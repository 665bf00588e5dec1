using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Placement;
using BlitzScale.Scaling.Serving;

namespace BlitzScale.Grains.Serving.Live;

/// <summary>
/// A LiveOld instance's waiting request served by its LiveNew partner over the grid: the partner's generate, as served
/// tokens for the stream the caller already holds here.
/// </summary>
internal static class PartnerRelay
{
    public static async IAsyncEnumerable<ServedToken> Generate(ILayerShardGrain partner, string partnerShard, string partnerHost, ServingRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sampling = request.Sampling;
        // The prompt and the sampler are the request's as this instance would have run them (a resumed request's included).
        var relayed = new GenerateRequest
        {
            PromptIds = request.PromptIds, MaxTokens = request.MaxTokens, StopAtEos = request.StopAtEos, RequestId = request.Id, Relayed = true,
            Temperature = sampling.Temperature, TopP = sampling.TopP, TopK = sampling.TopK, Seed = sampling.Seed,
        };
        HostContext.Set(partnerHost);
        string? shard = null;
        await using var updates = partner.Generate(relayed, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await Next(updates, partnerShard, cancellationToken).ConfigureAwait(false))
        {
            var update = updates.Current;
            // The first update names the prompt and the partner: the caller had the prompt from this instance, and learns the
            // partner with the first token.
            if (update.PromptIds is not null)
            {
                shard = update.Instance;
                continue;
            }
            yield return new ServedToken(update.TokenId, update.Index, update.ElapsedMs, Finish(update.Finish), HandedTo: shard);
            shard = null;
        }
    }

    // The request was valid here, so whatever stops the partner under it (unloaded, failed, its silo gone) is a loss the
    // caller resumes elsewhere, not the request's error.
    private static async ValueTask<bool> Next(IAsyncEnumerator<GenerationUpdate> updates, string partnerShard, CancellationToken cancellationToken)
    {
        try
        {
            return await updates.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw e as InstanceLostException ?? new InstanceLostException(partnerShard, $"the live partner it was handed over to failed: {e.Message}");
        }
    }

    private static ServingFinishReason? Finish(string? finish) =>
        finish is null ? null
        : Enum.TryParse<ServingFinishReason>(finish, ignoreCase: true, out var reason) ? reason
        : throw new InvalidOperationException($"the live partner ended a request with an unknown finish reason \"{finish}\"");
}
