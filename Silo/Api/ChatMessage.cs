namespace BlitzScale.Silo.Api;

/// <summary>One message of a chat: its role (system, user, assistant) and its text.</summary>
internal sealed record ChatMessage(string Role, string Content);
