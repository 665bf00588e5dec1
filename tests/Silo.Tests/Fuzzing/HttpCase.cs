using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BlitzScale.Native.Tests.Fuzzing;
using BlitzScale.Silo.Api;

namespace BlitzScale.Silo.Tests.Fuzzing;

/// <summary>
/// One request of the HTTP fuzz tests (a POST route, a content type or none, the body's bytes) and the property every
/// answer must keep: a 2xx that is a JSON object or a whole event stream, or a 4xx that is the API's error object.
/// Never a 5xx, never a connection cut, never an <c>internal_error</c> event inside a stream.
/// </summary>
internal sealed record HttpCase(string Path, string? ContentType, byte[] Body)
{
    public const string Json = "application/json";

    /// <summary>Sends the case and checks its answer; returns its status.</summary>
    /// <exception cref="HttpPropertyException">The answer broke the property (the message says how).</exception>
    public async Task<int> CheckAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(Body) };
        if (ContentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType);
        // As a careful client sends a large body: the server may refuse it on its headers before reading it.
        if (Body.Length > ApiJson.MaxBodyBytes) request.Headers.ExpectContinue = true;
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            throw new HttpPropertyException($"no answer: {e.Message}");
        }
        using (response)
        {
            int status = (int)response.StatusCode;
            string text = await response.Content.ReadAsStringAsync();
            string media = response.Content.Headers.ContentType?.MediaType ?? "none";
            if (status is < 200 or >= 500 or (>= 300 and < 400))
                throw new HttpPropertyException($"answered {status}: {Clip(text)}");
            if (status >= 400) CheckError(status, media, text);
            else if (media == "text/event-stream") CheckStream(text);
            else CheckWhole(media, text);
            return status;
        }
    }

    private static void CheckError(int status, string media, string text)
    {
        if (media != Json) throw new HttpPropertyException($"answered {status} as {media}, not the API's JSON error: {Clip(text)}");
        if (ErrorOf(Parse(text)) is not { } error) throw new HttpPropertyException($"answered {status} without an error object: {Clip(text)}");
        if (error.GetProperty("message").GetString() is not { Length: > 0 }) throw new HttpPropertyException($"answered {status} with an empty message: {Clip(text)}");
    }

    private static void CheckWhole(string media, string text)
    {
        if (media != Json || Parse(text).ValueKind != JsonValueKind.Object)
            throw new HttpPropertyException($"answered 2xx with {media} that is not a JSON object: {Clip(text)}");
    }

    // A stream may end on an error event (a refusal after the first token), but never on one of ours.
    private static void CheckStream(string text)
    {
        if (!text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal)) throw new HttpPropertyException($"a stream that does not end with [DONE]: {Clip(text)}");
        foreach (string e in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            if (!e.StartsWith("data: ", StringComparison.Ordinal)) throw new HttpPropertyException($"a stream event without data: {Clip(e)}");
            string data = e["data: ".Length..];
            if (data == "[DONE]") continue;
            if (ErrorOf(Parse(data)) is { } error && error.GetProperty("type").GetString() == "internal_error")
                throw new HttpPropertyException($"an internal error inside the stream: {Clip(data)}");
        }
    }

    // {"error": {"message": "…", "type": "…", "param": null | "…", …}}, as ApiErrors writes it.
    private static JsonElement? ErrorOf(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object) return null;
        bool shaped = error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
            && error.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            && error.TryGetProperty("param", out var param) && param.ValueKind is JsonValueKind.String or JsonValueKind.Null;
        return shaped ? error : null;
    }

    private static JsonElement Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new HttpPropertyException($"an answer that is not JSON: {Clip(text)}");
        }
    }

    private static string Clip(string text) => text.Length <= 600 ? text : text[..600] + $"… ({text.Length} characters)";

    /// <summary>The case as a failure prints it: route, content type, and the body as text (or hex when not UTF-8).</summary>
    public override string ToString()
    {
        string body;
        try
        {
            string text = new UTF8Encoding(false, true).GetString(Body);
            body = text.Length <= 4096 ? text : text[..4096] + $"… ({Body.Length} bytes)";
        }
        catch (DecoderFallbackException)
        {
            body = "hex " + Fuzz.Hex(Body);
        }
        return $"POST {Path} (Content-Type: {ContentType ?? "none"})\n{body}";
    }
}

/// <summary>An answer of the API that breaks the fuzz tests' property.</summary>
internal sealed class HttpPropertyException(string message) : Exception(message);
