using System.Text.Json;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Silo.Api;

/// <summary>The fields completions and chat share: how much to generate, how to sample, when to stop, how to answer.</summary>
internal sealed record SamplingOptions
{
    /// <summary>The most <c>max_tokens</c> accepted (the grid refuses a request beyond the model's context anyway).</summary>
    public const int MaxTokensLimit = 1 << 20;

    public int MaxTokens { get; init; }
    public float Temperature { get; init; }
    public float TopP { get; init; }
    public int TopK { get; init; }
    public ulong Seed { get; init; }
    public bool StopAtEos { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>The fields of <paramref name="body"/>; <paramref name="defaultMaxTokens"/> when neither max_tokens nor max_completion_tokens is given.</summary>
    /// <exception cref="ApiException">400 naming the first field of the wrong type or out of range.</exception>
    public static SamplingOptions Read(JsonElement body, int defaultMaxTokens)
    {
        // More than one choice per prompt is refused, not ignored.
        foreach (string one in (string[])["n", "best_of"])
        {
            if (JsonFields.Get(body, one) is { } count && !(count.ValueKind == JsonValueKind.Number && count.TryGetInt32(out int value) && value == 1))
                throw JsonFields.Wrong(one, "1 (one choice per prompt is supported)", count);
        }
        long? maxTokens = JsonFields.Integer(body, "max_completion_tokens", 1, MaxTokensLimit) ?? JsonFields.Integer(body, "max_tokens", 1, MaxTokensLimit);
        // Sampling as OpenAI and vLLM default it: temperature 1, unseeded.
        double temperature = JsonFields.Number(body, "temperature", 0, 100) ?? 1;
        double topP = JsonFields.Number(body, "top_p", double.Epsilon, 1) ?? 1;
        long topK = JsonFields.Integer(body, "top_k", -1, int.MaxValue) ?? 0;
        long? seed = JsonFields.Integer(body, "seed", long.MinValue, long.MaxValue);
        bool ignoreEos = JsonFields.Bool(body, "ignore_eos") ?? false;
        bool stream = JsonFields.Bool(body, "stream") ?? false;
        bool includeUsage = false;
        if (JsonFields.Get(body, "stream_options") is { } streamOptions)
        {
            if (streamOptions.ValueKind != JsonValueKind.Object) throw JsonFields.Wrong("stream_options", "an object", streamOptions);
            includeUsage = JsonFields.Bool(streamOptions, "include_usage") ?? false;
        }
        return new SamplingOptions
        {
            MaxTokens = (int)(maxTokens ?? defaultMaxTokens),
            Temperature = (float)temperature,
            TopP = (float)topP,
            // vLLM's -1 and OpenAI's absent both mean every token.
            TopK = topK < 0 ? 0 : (int)topK,
            Seed = seed is { } s ? unchecked((ulong)s) : (ulong)Random.Shared.NextInt64(),
            StopAtEos = !ignoreEos,
            Stop = ReadStop(body),
            Stream = stream,
            IncludeUsage = includeUsage,
        };
    }

    /// <summary>A request to the grid for one prompt, given as text or as ids.</summary>
    public GenerateRequest ToRequest(string? prompt, int[]? promptIds, string requestId) => new()
    {
        Prompt = prompt ?? "",
        PromptIds = promptIds,
        MaxTokens = MaxTokens,
        Temperature = Temperature,
        TopP = TopP,
        TopK = TopK,
        Seed = Seed,
        StopAtEos = StopAtEos,
        RequestId = requestId,
    };

    private static string[] ReadStop(JsonElement body)
    {
        const string expected = "a non-empty string or an array of non-empty strings";
        switch (JsonFields.Get(body, "stop"))
        {
            case null:
                return [];
            case { ValueKind: JsonValueKind.String } one:
                return one.GetString() is { Length: > 0 } single ? [single] : throw JsonFields.Wrong("stop", expected, one);
            case { ValueKind: JsonValueKind.Array } many:
                var stops = new List<string>();
                foreach (var item in many.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
                        throw JsonFields.Wrong("stop", expected, item);
                    stops.Add(text);
                }
                return [.. stops];
            case { } other:
                throw JsonFields.Wrong("stop", expected, other);
        }
    }
}
