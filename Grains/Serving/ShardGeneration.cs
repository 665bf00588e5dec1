using System.Runtime.CompilerServices;
using BlitzScale.Grains.Interfaces.Serving;
using BlitzScale.Grains.Serving.Live;
using BlitzScale.Grains.Telemetry;
using BlitzScale.Native.Models;
using BlitzScale.Native.Sampling;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Grains.Serving;

/// <summary>What serves requests: the tokenizer, the model's shape and the server's generate call.</summary>
internal sealed record Servable(TextTokenizer Tokenizer, LlamaConfig Config, Func<ServingRequest, CancellationToken, IAsyncEnumerable<ServedToken>> Serve)
{
    public static Servable Of(LoadedInstance instance) => new(instance.Tokenizer, instance.Model.Config, instance.Server.GenerateAsync);
}

/// <summary>
/// One request on a loaded instance, as the wire sees it: checks it, tokenizes its prompt, submits it to the instance's
/// server and turns the served tokens into updates with their text, recording the serving metrics on the way.
/// </summary>
internal static class ShardGeneration
{
    /// <param name="instance">What serves the request: a loaded instance, or a live one still loading.</param>
    /// <param name="request">The request as the caller sent it.</param>
    /// <param name="shard">The shard's key, named in the first update.</param>
    /// <param name="model">The model, for the metrics.</param>
    /// <param name="emulated">Whether the instance's GPU is emulated (said in the first update).</param>
    /// <param name="metrics">The silo's serving metrics.</param>
    /// <param name="cancellationToken">Cancels the request; its KV blocks are freed.</param>
    public static async IAsyncEnumerable<GenerationUpdate> Run(Servable instance, GenerateRequest request, string shard, string model, bool emulated,
        ServingMetrics metrics, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sampling = new SamplingOptions(request.Temperature, request.TopP, request.TopK, request.Seed);
        sampling.Validate();
        request.Validate();
        int[] promptIds = request.PromptIds ?? instance.Tokenizer.Encode(request.Prompt);
        if (promptIds.Length == 0) throw new ArgumentException("the prompt has no tokens; it must start with BOS");
        // A resumed request's prompt ends with the tokens already delivered; the sampler continues after them.
        int before = request.TokensBefore;
        if (before < 0 || before >= promptIds.Length)
            throw new ArgumentException($"tokens before: expected 0 to {promptIds.Length - 1} (the prompt's length less BOS), found {before}");
        sampling = sampling.After(before);
        if (promptIds.FirstOrDefault(id => (uint)id >= (uint)instance.Config.VocabSize, -1) is var bad and not -1)
            throw new ArgumentException($"prompt token id {bad} is outside the vocabulary of {instance.Config.VocabSize}");

        var serving = new ServingRequest(request.RequestId ?? Guid.NewGuid().ToString("N"), promptIds, request.MaxTokens, sampling, request.StopAtEos);
        yield return new GenerationUpdate { PromptIds = promptIds, Instance = shard, Emulated = emulated };

        var decoder = new StreamingDecoder(instance.Tokenizer);
        // The text continues the prompt: after a visible prompt token the first generated one keeps its leading space.
        foreach (int id in promptIds) decoder.Append(id);
        // A relayed request is counted by the instance its caller is connected to, not again here.
        var record = request.Relayed ? null : metrics.Request(model, promptIds.Length);
        try
        {
            await using var tokens = instance.Serve(serving, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (await NextToken(tokens, shard))
            {
                var token = tokens.Current;
                record?.Token(token);
                string text = token.TokenId >= 0 ? decoder.Append(token.TokenId) : "";
                string? finish = token.Finish?.ToString().ToLowerInvariant();
                if (finish is not null) text += decoder.Flush();
                yield return new GenerationUpdate
                {
                    TokenId = token.TokenId, Index = before + token.Index, Text = text, ElapsedMs = token.ElapsedMs, Finish = finish, HandedTo = token.HandedTo,
                };
            }
        }
        finally
        {
            record?.Ended();
        }
    }

    // The batcher's "can never fit" answer becomes an argument error the caller can read across the wire.
    // The server disposed under the request (its instance was unloaded), or a live pair's partner lost under a split request,
    // becomes a loss the caller resumes elsewhere.
    private static async ValueTask<bool> NextToken(IAsyncEnumerator<ServedToken> tokens, string shard)
    {
        try
        {
            return await tokens.MoveNextAsync();
        }
        catch (RequestRejectedException e)
        {
            throw new ArgumentException(e.Message);
        }
        catch (ObjectDisposedException)
        {
            throw new InstanceLostException(shard, "the instance was unloaded");
        }
        catch (LivePartnerLostException e)
        {
            throw new InstanceLostException(shard, e.Message);
        }
    }
}
