using System.Text;
using System.Text.Json.Nodes;
using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Silo.Api;

/// <summary>
/// Runs a request's choices through the grid and answers in OpenAI's shape: one JSON object, or server-sent chunks.
/// Errors before the first token are HTTP errors; errors after it are an <c>error</c> event in the stream.
/// </summary>
internal sealed class GenerationResponder(IGrainFactory grains, TimeProvider time, ILogger logger)
{
    public async Task RespondAsync(HttpContext context, IResponseShape shape, string model, IReadOnlyList<GenerateRequest> requests, SamplingOptions sampling)
    {
        string id = shape.IdPrefix + Guid.NewGuid().ToString("N");
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        var usages = requests.Select(_ => new ChoiceUsage()).ToArray();
        var head = new Head(id, shape, created, model);
        if (sampling.Stream) await StreamAsync(context, head, requests, sampling, usages);
        else await WholeAsync(context, head, requests, sampling, usages);
    }

    private async Task WholeAsync(HttpContext context, Head head, IReadOnlyList<GenerateRequest> requests, SamplingOptions sampling, ChoiceUsage[] usages)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var runs = requests.Select(async (r, i) =>
        {
            try
            {
                return await CollectAsync(r, sampling.Stop, usages[i], head.Model, abort.Token);
            }
            catch
            {
                // One choice failed: the others are not wanted any more.
                await abort.CancelAsync();
                throw;
            }
        }).ToList();
        (string Text, string Finish)[] choices;
        try
        {
            choices = await Task.WhenAll(runs);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The failure that cancelled the others, not a cancellation it caused.
            var cause = runs.Where(r => r.IsFaulted).Select(r => r.Exception!.InnerException).FirstOrDefault(x => x is not OperationCanceledException);
            throw ApiErrors.FromGrid(cause ?? e, head.Model);
        }
        var body = head.Object(head.Shape.WholeObject);
        body["choices"] = new JsonArray([.. choices.Select((c, i) => (JsonNode)head.Shape.WholeChoice(i, c.Text, c.Finish))]);
        body["usage"] = Usage(usages);
        await ApiJson.WriteAsync(context, body);
    }

    private async Task<(string Text, string Finish)> CollectAsync(GenerateRequest request, IReadOnlyList<string> stops, ChoiceUsage usage, string model, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        await foreach (var piece in ChoiceGeneration.RunAsync(grains, model, request, stops, usage, cancellationToken))
        {
            text.Append(piece.Text);
            if (piece.FinishReason is { } finish) return (text.ToString(), finish);
        }
        throw new InvalidOperationException("the generation ended without a finish reason");
    }

    private async Task StreamAsync(HttpContext context, Head head, IReadOnlyList<GenerateRequest> requests, SamplingOptions sampling, ChoiceUsage[] usages)
    {
        var aborted = context.RequestAborted;
        bool started = false;
        try
        {
            for (int index = 0; index < requests.Count; index++)
            {
                await using var pieces = ChoiceGeneration.RunAsync(grains, head.Model, requests[index], sampling.Stop, usages[index], aborted).GetAsyncEnumerator(aborted);
                bool more;
                try
                {
                    more = await pieces.MoveNextAsync();
                }
                catch (Exception e) when (!started && !aborted.IsCancellationRequested)
                {
                    // Nothing is written yet: the client gets the status the error deserves (404, 429, …).
                    throw ApiErrors.FromGrid(e, head.Model);
                }
                if (!started)
                {
                    await ServerSentEvents.StartAsync(context);
                    started = true;
                }
                if (head.Shape.OpeningChoice(index) is { } opening) await ServerSentEvents.WriteAsync(context, head.Chunk(opening, sampling.IncludeUsage));
                while (more)
                {
                    var piece = pieces.Current;
                    if (piece.Text.Length > 0 || piece.FinishReason is not null)
                        await ServerSentEvents.WriteAsync(context, head.Chunk(head.Shape.ChunkChoice(index, piece.Text, piece.FinishReason), sampling.IncludeUsage));
                    more = piece.FinishReason is null && await pieces.MoveNextAsync();
                }
            }
            if (sampling.IncludeUsage)
            {
                var usage = head.Object(head.Shape.ChunkObject);
                usage["choices"] = new JsonArray();
                usage["usage"] = Usage(usages);
                await ServerSentEvents.WriteAsync(context, usage);
            }
            await ServerSentEvents.DoneAsync(context);
        }
        catch (Exception e) when (started && !aborted.IsCancellationRequested && e is not OperationCanceledException)
        {
            var error = ApiErrors.FromGrid(e, head.Model);
            ApiLog.StreamFailed(logger, head.Id, error.Message);
            await ServerSentEvents.WriteAsync(context, ApiErrors.Body(error));
            await ServerSentEvents.DoneAsync(context);
        }
    }

    private static JsonObject Usage(ChoiceUsage[] usages)
    {
        int prompt = usages.Sum(u => u.PromptTokens), completion = usages.Sum(u => u.CompletionTokens);
        return new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion };
    }

    private sealed record Head(string Id, IResponseShape Shape, long Created, string Model)
    {
        public JsonObject Object(string name) => new() { ["id"] = Id, ["object"] = name, ["created"] = Created, ["model"] = Model };

        public JsonObject Chunk(JsonObject choice, bool withUsage)
        {
            var chunk = Object(Shape.ChunkObject);
            chunk["choices"] = new JsonArray(choice);
            if (withUsage) chunk["usage"] = null;
            return chunk;
        }
    }
}
