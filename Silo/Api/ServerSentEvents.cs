using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace BlitzScale.Silo.Api;

/// <summary>A <c>text/event-stream</c> answer as OpenAI and vLLM write it: <c>data: {json}</c> events, then <c>data: [DONE]</c>.</summary>
internal static class ServerSentEvents
{
    public static async Task StartAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, JsonNode data) => WriteRawAsync(context, data.ToJsonString());

    public static Task DoneAsync(HttpContext context) => WriteRawAsync(context, "[DONE]");

    private static async Task WriteRawAsync(HttpContext context, string data)
    {
        await context.Response.WriteAsync($"data: {data}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
