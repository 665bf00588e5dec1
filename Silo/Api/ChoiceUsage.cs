namespace BlitzScale.Silo.Api;

/// <summary>Tokens one choice cost: its prompt and what it generated.</summary>
internal sealed class ChoiceUsage
{
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
}
