using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using BlitzScale.Grains.Interfaces;
using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Silo.Api;

/// <summary>
/// The routes of the OpenAI-compatible API. <c>/health</c> and <c>/version</c> answer anyone (probes); the rest need a
/// key when keys are configured. <c>/metrics</c> is left for the metrics exporter.
/// </summary>
internal sealed class ApiEndpoints(IGrainFactory grains, Func<CancellationToken, Task<string?>> health, ApiKeyCheck keys, TimeProvider time, ILogger logger)
{
    /// <summary>Completions answer 16 tokens when not told otherwise, as OpenAI's do.</summary>
    public const int DefaultCompletionTokens = 16;

    private readonly ModelTexts _texts = new(grains);
    private readonly GenerationResponder _responder = new(grains, time, logger);

    public static string Version { get; } =
        typeof(ApiEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", HealthAsync);
        routes.MapGet("/version", (HttpContext c) => ApiJson.WriteAsync(c, new JsonObject { ["version"] = Version }));
        routes.MapGet("/v1/models", c => Guarded(c, ModelsAsync));
        routes.MapPost("/v1/completions", c => Guarded(c, CompletionsAsync));
        routes.MapPost("/v1/chat/completions", c => Guarded(c, ChatAsync));
        routes.MapPost("/tokenize", c => Guarded(c, TokenizeAsync));
        routes.MapPost("/detokenize", c => Guarded(c, DetokenizeAsync));
    }

    // The key check and the error shape around every route that needs them: a user's mistake is never a 500.
    private async Task Guarded(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            if (!keys.Accepts(context.Request.Headers.Authorization))
                throw new ApiException(401, "Incorrect or missing API key: send Authorization: Bearer <key>.", "authentication_error", null, "invalid_api_key");
            await handler(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await ApiErrors.WriteAsync(context, e);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; its generation was cancelled with it.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            ApiLog.Failed(logger, context.Request.Path, e);
            await ApiErrors.WriteAsync(context, new ApiException(500, $"internal error: {e.GetBaseException().Message}", "internal_error"));
        }
    }

    private async Task HealthAsync(HttpContext context)
    {
        string? problem;
        try
        {
            problem = await health(context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            problem = $"cannot reach the cluster: {e.GetBaseException().Message}";
        }
        context.Response.StatusCode = problem is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        await ApiJson.WriteAsync(context, problem is null ? new JsonObject { ["status"] = "ok" } : new JsonObject { ["status"] = "unavailable", ["reason"] = problem });
    }

    private async Task ModelsAsync(HttpContext context)
    {
        var names = await grains.GetGrain<IModelRegistryGrain>(GrainKeys.Cluster).GetModels();
        long created = time.GetUtcNow().ToUnixTimeSeconds();
        var data = new JsonArray([.. names.Select(n => (JsonNode)new JsonObject { ["id"] = n, ["object"] = "model", ["created"] = created, ["owned_by"] = "blitzscale" })]);
        await ApiJson.WriteAsync(context, new JsonObject { ["object"] = "list", ["data"] = data });
    }

    private async Task CompletionsAsync(HttpContext context)
    {
        var body = await ApiJson.ReadObjectAsync(context);
        string model = JsonFields.RequiredString(body, "model");
        var prompts = PromptInput.Read(body);
        var sampling = SamplingOptions.Read(body, DefaultCompletionTokens);
        string requestId = RequestId();
        var requests = prompts.Select((p, i) => sampling.ToRequest(p.Text, p.Ids, $"{requestId}/{i}")).ToList();
        await _responder.RespondAsync(context, CompletionShape.Instance, model, requests, sampling);
    }

    private async Task ChatAsync(HttpContext context)
    {
        var body = await ApiJson.ReadObjectAsync(context);
        string model = JsonFields.RequiredString(body, "model");
        var messages = ChatMessages.Read(body);
        var sampling = SamplingOptions.Read(body, GenerateRequest.DefaultMaxTokens);
        var text = await _texts.GetAsync(model);
        int[] ids = text.EncodeChat(text.Chat.Render(messages));
        await _responder.RespondAsync(context, ChatShape.Instance, model, [sampling.ToRequest(null, ids, RequestId())], sampling);
    }

    // Unique across silos: an instance refuses a second request with the same id, and every silo's API feeds the same instances.
    private static string RequestId() => $"api-{Guid.NewGuid():N}";

    // vLLM's: {model, prompt | messages, add_special_tokens} → {count, max_model_len, tokens}.
    private async Task TokenizeAsync(HttpContext context)
    {
        var body = await ApiJson.ReadObjectAsync(context);
        string model = JsonFields.RequiredString(body, "model");
        bool special = JsonFields.Bool(body, "add_special_tokens") ?? true;
        var text = await _texts.GetAsync(model);
        int[] ids = JsonFields.Get(body, "messages") is not null
            ? text.EncodeChat(text.Chat.Render(ChatMessages.Read(body)))
            : text.Tokenizer.Encode(JsonFields.String(body, "prompt") ?? throw ApiException.Invalid("prompt", "prompt: expected a string (or messages), found none"), special);
        await ApiJson.WriteAsync(context, new JsonObject
        {
            ["count"] = ids.Length,
            ["max_model_len"] = text.ContextLength,
            ["tokens"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]),
        });
    }

    private async Task DetokenizeAsync(HttpContext context)
    {
        var body = await ApiJson.ReadObjectAsync(context);
        string model = JsonFields.RequiredString(body, "model");
        var tokens = JsonFields.Get(body, "tokens") ?? throw ApiException.Invalid("tokens", "tokens: expected an array of token ids, found none");
        int[] ids = tokens.ValueKind == JsonValueKind.Array && tokens.GetArrayLength() == 0 ? [] : PromptInput.ReadIds(tokens, "tokens");
        var text = await _texts.GetAsync(model);
        if (ids.FirstOrDefault(i => i >= text.Tokenizer.VocabSize, -1) is var bad and >= 0)
            throw ApiException.Invalid("tokens", $"tokens: expected ids from 0 to {text.Tokenizer.VocabSize - 1}, found {bad}");
        await ApiJson.WriteAsync(context, new JsonObject { ["prompt"] = text.Tokenizer.Decode(ids) });
    }
}
