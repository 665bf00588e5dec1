using System.Text.Json.Nodes;

namespace BlitzScale.Silo.Api;

/// <summary>How completions and chat differ in their answers: object names and where a choice's text goes.</summary>
internal interface IResponseShape
{
    /// <summary>The id's prefix (<c>cmpl-</c>, <c>chatcmpl-</c>).</summary>
    string IdPrefix { get; }
    string WholeObject { get; }
    string ChunkObject { get; }
    JsonObject WholeChoice(int index, string text, string finishReason);
    JsonObject ChunkChoice(int index, string text, string? finishReason);
    /// <summary>The chunk that opens a streamed choice before its text (chat's role), or null.</summary>
    JsonObject? OpeningChoice(int index);
}
