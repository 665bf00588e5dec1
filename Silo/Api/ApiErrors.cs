using System.Globalization;
using System.Text.Json.Nodes;
using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.AspNetCore.Http;

namespace BlitzScale.Silo.Api;

/// <summary>OpenAI's error object, and how the grid's exceptions map onto it.</summary>
internal static class ApiErrors
{
    /// <summary>How long a client refused for a full admission queue waits before it tries again.</summary>
    public static readonly TimeSpan QueueFullRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>How long a client waits after the model had no instance to take its request.</summary>
    public static readonly TimeSpan NoInstanceRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary><c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
    public static JsonObject Body(ApiException e) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = e.Message,
            ["type"] = e.Type,
            ["param"] = e.Param,
            ["code"] = e.Code ?? (e.Status == 400 ? null : e.Status.ToString(CultureInfo.InvariantCulture)),
        },
    };

    /// <summary>
    /// What a generation's exception means to the client: the grid's documented ones are the client's or the model's
    /// condition (404, 400, 429, 503); anything else is ours (500).
    /// </summary>
    public static ApiException FromGrid(Exception e, string model) => e switch
    {
        ApiException api => api,
        KeyNotFoundException => ModelNotFound(model),
        AdmissionQueueFullException full => new ApiException(429, full.Message, "rate_limit_error", null, "queue_full") { RetryAfter = QueueFullRetryAfter },
        ArgumentException argument => ApiException.Invalid(null, argument.Message),
        InvalidOperationException busy => new ApiException(503, busy.Message, "service_unavailable", null, "no_instance") { RetryAfter = NoInstanceRetryAfter },
        _ => new ApiException(500, $"internal error: {e.GetBaseException().Message}", "internal_error"),
    };

    public static ApiException ModelNotFound(string model) =>
        new(404, $"The model `{model}` does not exist (not deployed on this grid).", "not_found_error", "model", "model_not_found");

    /// <summary>Writes <paramref name="e"/> as the whole response.</summary>
    public static async Task WriteAsync(HttpContext context, ApiException e)
    {
        context.Response.StatusCode = e.Status;
        if (e.RetryAfter is { } retry)
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await ApiJson.WriteAsync(context, Body(e));
    }
}
