using System.Text.Json.Nodes;

namespace BlitzScale.Silo.Api;

/// <summary><c>/v1/completions</c>: choices carry <c>text</c>.</summary>
internal sealed class CompletionShape : IResponseShape
{
    public static CompletionShape Instance { get; } = new();

    public string IdPrefix => "cmpl-";
    public string WholeObject => "text_completion";
    public string ChunkObject => "text_completion";

    public JsonObject WholeChoice(int index, string text, string finishReason) => ChunkChoice(index, text, finishReason);

    public JsonObject ChunkChoice(int index, string text, string? finishReason) => new()
    {
        ["index"] = index,
        ["text"] = text,
        ["logprobs"] = null,
        ["finish_reason"] = finishReason,
    };

    public JsonObject? OpeningChoice(int index) => null;
}
