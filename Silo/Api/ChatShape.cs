using System.Text.Json.Nodes;

namespace BlitzScale.Silo.Api;

/// <summary><c>/v1/chat/completions</c>: choices carry the assistant's <c>message</c>, chunks a <c>delta</c>.</summary>
internal sealed class ChatShape : IResponseShape
{
    public static ChatShape Instance { get; } = new();

    public string IdPrefix => "chatcmpl-";
    public string WholeObject => "chat.completion";
    public string ChunkObject => "chat.completion.chunk";

    public JsonObject WholeChoice(int index, string text, string finishReason) => new()
    {
        ["index"] = index,
        ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text },
        ["logprobs"] = null,
        ["finish_reason"] = finishReason,
    };

    public JsonObject ChunkChoice(int index, string text, string? finishReason) => new()
    {
        ["index"] = index,
        ["delta"] = finishReason is null || text.Length > 0 ? new JsonObject { ["content"] = text } : new JsonObject(),
        ["logprobs"] = null,
        ["finish_reason"] = finishReason,
    };

    public JsonObject? OpeningChoice(int index) => new()
    {
        ["index"] = index,
        ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" },
        ["logprobs"] = null,
        ["finish_reason"] = null,
    };
}
