namespace BlitzScale.Silo.Api;

/// <summary>Text released for one choice; the last piece of a choice carries its OpenAI finish reason ("stop", "length").</summary>
internal readonly record struct ChoicePiece(string Text, string? FinishReason);
