using System.Text;

namespace BlitzScale.Silo.Api;

/// <summary>
/// Renders a chat in its model's format with the assistant's turn open (<c>add_generation_prompt</c>). The text
/// leaves out the leading BOS: the instance adds it when it encodes the prompt. Later BOS/EOS tokens (between turns
/// of Llama-2 and Mistral) are written as <see cref="BosText"/> and <see cref="EosText"/>.
/// </summary>
internal sealed class ChatTemplate(ChatTemplateFamily family, string bosText = "<s>", string eosText = "</s>", bool qwenDefaultSystem = false)
{
    /// <summary>Qwen2's system message when the chat has none (its template adds it).</summary>
    public const string QwenDefaultSystem = "You are a helpful assistant.";

    public ChatTemplateFamily Family { get; } = family;
    public string BosText { get; } = bosText;
    public string EosText { get; } = eosText;

    /// <summary>
    /// The family of a <c>chat_template</c> (null: none): the markers each family's template writes. A template of
    /// none of them renders plainly.
    /// </summary>
    public static ChatTemplate Recognise(string? template, string? bosText = null, string? eosText = null)
    {
        var family = template switch
        {
            null or "" => ChatTemplateFamily.Plain,
            _ when template.Contains("<|start_header_id|>", StringComparison.Ordinal) => ChatTemplateFamily.Llama3,
            _ when template.Contains("<|im_start|>", StringComparison.Ordinal) => ChatTemplateFamily.ChatMl,
            _ when template.Contains("[INST]", StringComparison.Ordinal) && template.Contains("<<SYS>>", StringComparison.Ordinal) => ChatTemplateFamily.Llama2,
            _ when template.Contains("[INST]", StringComparison.Ordinal) => ChatTemplateFamily.Mistral,
            _ => ChatTemplateFamily.Plain,
        };
        bool qwenSystem = family == ChatTemplateFamily.ChatMl && template!.Contains(QwenDefaultSystem, StringComparison.Ordinal);
        return new ChatTemplate(family, bosText ?? "<s>", eosText ?? "</s>", qwenSystem);
    }

    /// <exception cref="ApiException">400: the messages do not fit the format (Llama-2 and Mistral alternate user and assistant).</exception>
    public string Render(IReadOnlyList<ChatMessage> messages) => Family switch
    {
        ChatTemplateFamily.Llama2 => Llama2(messages),
        ChatTemplateFamily.Llama3 => Llama3(messages),
        ChatTemplateFamily.Mistral => Mistral(messages),
        ChatTemplateFamily.ChatMl => ChatMl(messages),
        _ => Plain(messages),
    };

    private static string Plain(IReadOnlyList<ChatMessage> messages)
    {
        var text = new StringBuilder();
        foreach (var m in messages) text.Append(m.Role).Append(": ").Append(m.Content).Append('\n');
        return text.Append("assistant:").ToString();
    }

    // HF's Llama-2-chat template: the system message joins the first user turn inside <<SYS>>; each user turn starts
    // with BOS, each assistant turn ends with EOS; contents are trimmed.
    private string Llama2(IReadOnlyList<ChatMessage> messages)
    {
        var (system, turns) = SplitSystem(messages);
        CheckAlternation(turns);
        var text = new StringBuilder();
        for (int i = 0; i < turns.Count; i++)
        {
            string content = turns[i].Content;
            if (i == 0 && system is not null) content = $"<<SYS>>\n{system}\n<</SYS>>\n\n{content}";
            if (turns[i].Role == "user")
                text.Append(i == 0 ? "" : BosText).Append("[INST] ").Append(content.Trim()).Append(" [/INST]");
            else
                text.Append(' ').Append(content.Trim()).Append(' ').Append(EosText);
        }
        return text.ToString();
    }

    // Meta's Llama-3 template: every message in a header block ending with <|eot_id|>, contents trimmed.
    private static string Llama3(IReadOnlyList<ChatMessage> messages)
    {
        var text = new StringBuilder();
        foreach (var m in messages)
            text.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(m.Content.Trim()).Append("<|eot_id|>");
        return text.Append("<|start_header_id|>assistant<|end_header_id|>\n\n").ToString();
    }

    // Mistral instruct (v0.1/v0.2 template): [INST] user [/INST]assistant</s>…; a system message opens the first user turn.
    private string Mistral(IReadOnlyList<ChatMessage> messages)
    {
        var (system, turns) = SplitSystem(messages);
        CheckAlternation(turns);
        var text = new StringBuilder();
        for (int i = 0; i < turns.Count; i++)
        {
            string content = i == 0 && system is not null ? $"{system}\n\n{turns[i].Content}" : turns[i].Content;
            if (turns[i].Role == "user") text.Append("[INST] ").Append(content).Append(" [/INST]");
            else text.Append(content).Append(EosText);
        }
        return text.ToString();
    }

    private string ChatMl(IReadOnlyList<ChatMessage> messages)
    {
        var text = new StringBuilder();
        if (qwenDefaultSystem && (messages.Count == 0 || messages[0].Role != "system"))
            text.Append("<|im_start|>system\n").Append(QwenDefaultSystem).Append("<|im_end|>\n");
        foreach (var m in messages) text.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        return text.Append("<|im_start|>assistant\n").ToString();
    }

    private static (string? System, IReadOnlyList<ChatMessage> Turns) SplitSystem(IReadOnlyList<ChatMessage> messages) =>
        messages.Count > 0 && messages[0].Role == "system" ? (messages[0].Content, messages.Skip(1).ToList()) : (null, messages);

    private void CheckAlternation(IReadOnlyList<ChatMessage> turns)
    {
        for (int i = 0; i < turns.Count; i++)
        {
            string expected = i % 2 == 0 ? "user" : "assistant";
            if (turns[i].Role != expected)
                throw ApiException.Invalid("messages", $"messages: the {Family} chat format expects user and assistant turns alternating after an optional system message, starting with user; found {turns[i].Role} at turn {i}");
        }
        if (turns.Count == 0 || turns[^1].Role != "user")
            throw ApiException.Invalid("messages", $"messages: the {Family} chat format expects the last message to be the user's");
    }
}
