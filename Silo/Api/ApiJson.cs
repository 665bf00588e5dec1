using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace BlitzScale.Silo.Api;

/// <summary>Reading request bodies and writing JSON responses (JSON nodes: no reflection, no source generator needed).</summary>
internal static class ApiJson
{
    /// <summary>Request bodies larger than this are refused (a prompt of about 4M characters).</summary>
    public const int MaxBodyBytes = 16 << 20;

    public static async Task WriteAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>The body as a JSON object.</summary>
    /// <exception cref="ApiException">400: not JSON, not an object, or a string in it that is not text (invalid UTF-8, a lone
    /// surrogate); 413 over <see cref="MaxBodyBytes"/>, 400 malformed on the wire (Kestrel's refusals).</exception>
    public static async Task<JsonElement> ReadObjectAsync(HttpContext context)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException e)
        {
            throw ApiException.Invalid(null, $"body: expected a JSON object, found invalid JSON ({e.Message})");
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's refusal of the body itself: over MaxBodyBytes (413), or cut or malformed on the wire (400).
            string expected = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"at most {MaxBodyBytes >> 20} MiB" : "a whole request body";
            throw new ApiException(e.StatusCode, $"body: expected {expected}, found {e.Message.TrimEnd('.')}", "invalid_request_error");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ApiException.Invalid(null, $"body: expected a JSON object, found {JsonFields.KindName(root.ValueKind)}");
            JsonStrings.Check(root, "");
            return root.Clone();
        }
    }
}
