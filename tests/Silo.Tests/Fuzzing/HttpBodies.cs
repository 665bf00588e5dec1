using System.Text;
using BlitzScale.Native.Tests.Fuzzing;
using CsCheck;

namespace BlitzScale.Silo.Tests.Fuzzing;

/// <summary>
/// Generators of hostile requests to the API's POST routes: random bytes; a valid body with bytes flipped, cut or
/// repeated; a valid body with JSON values swapped for others of any type; a valid body with its fields replaced by
/// hostile values (huge, negative, fractional, beyond double, lone surrogates, invalid UTF-8, deep nesting, huge
/// strings) and unknown fields added; chat messages of every wrong shape; all under every content type.
/// </summary>
internal static class HttpBodies
{
    /// <summary>Stands for a byte that is not UTF-8 in a value's text; <see cref="Encode"/> writes it as 0xFF.</summary>
    private const char NotUtf8 = '\uE000';

    /// <summary>The fields the routes read, and some they do not.</summary>
    private static readonly string[] Names =
    [
        "model", "prompt", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "n", "best_of",
        "seed", "stop", "stream", "stream_options", "ignore_eos", "add_special_tokens", "tokens",
        "logprobs", "user", "tools", "", "MODEL", "max_tokens\u0000",
    ];

    /// <summary>Values of every type and edge: raw JSON text, some of it deliberately not JSON.</summary>
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-0", "1", "-1", "2", "1.5", "-1.5", "0.0", "1e-7", "4.9e-324", "1e-400",
        "255", "1024", "1025", "65536", "1048576", "1048577", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "1e308", "-1e308", "1e309", "-1e400", "123456789012345678901234567890.5",
        "NaN", "Infinity", "-Infinity", "01", "+1", ".5", "1.", "0x10",
        "\"\"", "\" \"", "\"1\"", "\"NaN\"", "\"tiny\"", "\"long\"", "\"nope\"", "\"user\"", "\"text\"",
        "\"\\ud800\"", "\"\\udc00x\"", "\"a\\ud83d\"", "\"\\u0000\"", "\"\\\\\"", "\"\\q\"", $"\"a{NotUtf8}b\"", "\"\u00e9\u4e2d\ud83d\ude00\"",
        "[]", "{}", "[1]", "[0]", "[-1]", "[99999]", "[2147483648]", "[1.5]", "[\"a\"]", "[\"\"]", "[[]]", "[[1], [2]]", "[null]",
        "[1, \"a\"]", "[\"a\", [1]]", "{\"include_usage\": 5}", "{\"include_usage\": true}", "{\"type\": \"text\"}",
        Nested(63), Nested(64), Nested(65), Nested(1000),
    ];

    /// <summary>Content types a client may send; the API reads the body as JSON whatever it says.</summary>
    public static readonly Gen<string?> ContentType = Gen.Frequency(
        (6, Gen.Const<string?>(HttpCase.Json)),
        (1, Gen.OneOf<string?>(null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/json; charset=utf-16", "application/octet-stream")));

    private static readonly Gen<HttpRoute> Route = Gen.OneOf([.. HttpRoute.All]);

    /// <summary>Any bytes, up to 512 of them.</summary>
    public static readonly Gen<HttpCase> RandomBytes =
        Gen.Select(Route, ContentType, Gen.Byte.Array[0, 512]).Select((route, type, body) => new HttpCase(route.Path, type, body));

    /// <summary>A valid body with 1 to 8 byte edits: cut (truncated JSON), flipped (invalid UTF-8 or JSON), repeated, inserted.</summary>
    public static readonly Gen<HttpCase> MutatedBytes =
        Route.SelectMany(route => Gen.Select(ContentType, Mutations.Bytes(Encode(route.ValidBody)))
            .Select((type, body) => new HttpCase(route.Path, type, body)));

    /// <summary>A valid body with 1 to 4 of its JSON values replaced (by any type) or removed.</summary>
    public static readonly Gen<HttpCase> MutatedJson =
        Route.SelectMany(route => Gen.Select(ContentType, Mutations.Json(route.ValidBody))
            .Select((type, body) => new HttpCase(route.Path, type, Encode(body))));

    /// <summary>A valid body with 1 to 5 fields (known or not) set to hostile values, removed, or given twice.</summary>
    public static readonly Gen<HttpCase> HostileFields =
        Gen.Select(Route, ContentType, Gen.Select(Gen.OneOf(Names), Gen.OneOf(Values), Gen.Int[0, 3]).Array[1, 5])
            .Select((route, type, edits) =>
            {
                var fields = route.Fields.ToList();
                foreach (var (name, value, how) in edits)
                {
                    int at = fields.FindIndex(f => f.Name == name);
                    if (how == 0 && at >= 0) fields.RemoveAt(at);
                    else if (how == 3 || at < 0) fields.Add((name, value));
                    else fields[at] = (name, value);
                }
                return new HttpCase(route.Path, type, Encode(HttpRoute.Object(fields)));
            });

    private static readonly Gen<string?> Role = Gen.OneOf<string?>(null, "\"user\"", "\"system\"", "\"assistant\"", "\"developer\"", "\"tool\"",
        "\"function\"", "\"USER\"", "\"\"", "\"robot\"", "1", "true", "[\"user\"]", "{}", "null", "\"\\ud800\"", $"\"{NotUtf8}\"");

    private static readonly Gen<string?> Content = Gen.Frequency(
        (3, Gen.OneOf<string?>(null, "\"Hi\"", "\"\"", "1", "true", "{}", "[]", "null", "\"{{ bad jinja\"", "\"<|im_start|>\"", "\"</s><s>[INST]\"",
            "[{\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}]", "[{\"type\": \"text\"}]", "[{\"type\": \"text\", \"text\": 5}]",
            "[{\"text\": \"Hi\"}]", "[\"Hi\"]", "[{\"type\": \"text\", \"text\": \"Hi\"}, 3]")),
        (1, Gen.OneOf(Values).Select(v => (string?)v)),
        (1, Gen.String.Select(s => (string?)System.Text.Json.JsonSerializer.Serialize(s))));

    private static readonly Gen<string> Message = Gen.Frequency(
        (1, Gen.OneOf(Values)),
        (6, Gen.Select(Role, Content, Gen.Bool).Select((role, content, extra) =>
            "{" + string.Join(", ", new[] { role is null ? null : $"\"role\": {role}", content is null ? null : $"\"content\": {content}", extra ? "\"name\": \"x\"" : null }.OfType<string>()) + "}")));

    /// <summary>A chat (or tokenize) body whose messages have bad roles, bad content shapes, or are not objects.</summary>
    public static readonly Gen<HttpCase> HostileMessages =
        Gen.Select(Gen.OneOf(HttpRoute.Chat, HttpRoute.Tokenize), Gen.Bool, Message.Array[0, 4]).Select((route, stream, messages) =>
        {
            var fields = new List<(string, string)> { ("model", HttpRoute.Model), ("messages", "[" + string.Join(", ", messages) + "]"), ("max_tokens", "3") };
            if (route == HttpRoute.Chat) fields.Add(("stream", stream ? "true" : "false"));
            return new HttpCase(route.Path, HttpCase.Json, Encode(HttpRoute.Object(fields)));
        });

    /// <summary>Valid bodies with one huge string (a prompt, a message, a model name, a stop) of up to 1 MiB.</summary>
    public static readonly Gen<HttpCase> HugeStrings =
        Gen.Select(Gen.OneOf(("prompt", HttpRoute.Completions), ("prompt", HttpRoute.Tokenize), ("model", HttpRoute.Completions),
                ("stop", HttpRoute.Completions), ("messages", HttpRoute.Chat), ("unknown", HttpRoute.Detokenize)),
            Gen.OneOf(4 << 10, 64 << 10, 1 << 20), Gen.OneOf('a', ' ', '\u4e2d', '\n'))
            .Select((target, length, fill) =>
            {
                var (name, route) = target;
                string text = "\"" + (fill == '\n' ? string.Concat(Enumerable.Repeat("\\n", length / 2)) : new string(fill, length)) + "\"";
                string value = name == "messages" ? $"[{{\"role\": \"user\", \"content\": {text}}}]" : text;
                var fields = route.Fields.Where(f => f.Name != name).Append((name, value));
                return new HttpCase(route.Path, HttpCase.Json, Encode(HttpRoute.Object(fields)));
            });

    /// <summary>The body's UTF-8, with each <see cref="NotUtf8"/> written as the byte 0xFF.</summary>
    public static byte[] Encode(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var marker = Encoding.UTF8.GetBytes(NotUtf8.ToString());
        var output = new List<byte>(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes.AsSpan(i).StartsWith(marker))
            {
                output.Add(0xFF);
                i += marker.Length - 1;
            }
            else output.Add(bytes[i]);
        }
        return [.. output];
    }

    private static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);
}
