namespace BlitzScale.Silo.Tests.Fuzzing;

/// <summary>A POST route of the API, the name of its corpus folder, and the fields of a valid body for it (raw JSON values).</summary>
internal sealed record HttpRoute(string Path, string Folder, IReadOnlyList<(string Name, string Value)> Fields)
{
    /// <summary>The fuzzed model: the synthetic "tiny" one, context 1024, answering in milliseconds.</summary>
    public const string Model = "\"tiny\"";

    public static readonly HttpRoute Completions = new("/v1/completions", "completions",
    [
        ("model", Model), ("prompt", "\"Once upon a time\""), ("max_tokens", "4"), ("temperature", "0.5"), ("top_p", "0.9"),
        ("top_k", "8"), ("seed", "7"), ("stop", "[\"\\n\"]"), ("stream", "false"),
    ]);

    public static readonly HttpRoute Chat = new("/v1/chat/completions", "chat-completions",
    [
        ("model", Model),
        ("messages", """[{"role": "system", "content": "Be brief."}, {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]"""),
        ("max_tokens", "4"), ("temperature", "0"), ("stream", "true"), ("stream_options", """{"include_usage": true}"""),
    ]);

    public static readonly HttpRoute Tokenize = new("/tokenize", "tokenize",
        [("model", Model), ("prompt", "\"Hello there\""), ("add_special_tokens", "false")]);

    public static readonly HttpRoute Detokenize = new("/detokenize", "detokenize",
        [("model", Model), ("tokens", "[1, 2, 3]")]);

    public static readonly IReadOnlyList<HttpRoute> All = [Completions, Chat, Tokenize, Detokenize];

    /// <summary>The valid body: <c>{"name": value, …}</c>.</summary>
    public string ValidBody => Object(Fields);

    public static string Object(IEnumerable<(string Name, string Value)> fields) =>
        "{" + string.Join(", ", fields.Select(f => $"\"{f.Name}\": {f.Value}")) + "}";

    public static HttpRoute ByFolder(string folder) => All.FirstOrDefault(r => r.Folder == folder)
        ?? throw new InvalidOperationException($"corpus folder \"{folder}\" names no route; expected {string.Join(", ", All.Select(r => r.Folder))}");
}
