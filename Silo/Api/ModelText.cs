using System.Text.Json;
using BlitzScale.Native.Models;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Silo.Api;

/// <summary>
/// What the API needs of a model's files to speak text: its tokenizer, its chat format (<c>tokenizer_config.json</c>'s
/// <c>chat_template</c>) and its context length. Read from the model directory as this host sees it.
/// </summary>
internal sealed class ModelText
{
    public const string TokenizerConfigFile = "tokenizer_config.json";

    private ModelText(TextTokenizer tokenizer, ChatTemplate chat, int contextLength)
    {
        Tokenizer = tokenizer;
        Chat = chat;
        ContextLength = contextLength;
    }

    public TextTokenizer Tokenizer { get; }
    public ChatTemplate Chat { get; }
    public int ContextLength { get; }

    /// <exception cref="ModelFileException">The tokenizer or config is missing or malformed.</exception>
    /// <exception cref="TokenizerException">The tokenizer is malformed or unsupported.</exception>
    public static ModelText Load(string directory)
    {
        var config = LlamaConfig.Load(directory);
        var generation = GenerationConfig.Load(directory, config);
        var tokenizer = TextTokenizer.Open(directory, generation.BosTokenId, generation.EosTokenId);
        var (template, bos, eos) = ReadTokenizerConfig(Path.Combine(directory, TokenizerConfigFile));
        return new ModelText(tokenizer, ChatTemplate.Recognise(template, bos, eos), config.MaxPositionEmbeddings);
    }

    /// <summary>
    /// Token ids of a rendered chat, BOS first. A SentencePiece tokenizer reads "&lt;s&gt;" as text, so the BOS and EOS
    /// the format writes between turns (Llama-2, Mistral) become their ids here; a tokenizer.json knows its special tokens.
    /// </summary>
    public int[] EncodeChat(string rendered)
    {
        if (Tokenizer is not LlamaTextTokenizer sentencePiece) return Tokenizer.Encode(rendered);
        var ids = new List<int>();
        int start = 0;
        bool first = true;
        while (true)
        {
            int bos = rendered.IndexOf(Chat.BosText, start, StringComparison.Ordinal);
            int eos = rendered.IndexOf(Chat.EosText, start, StringComparison.Ordinal);
            int next = bos < 0 ? eos : eos < 0 ? bos : Math.Min(bos, eos);
            string piece = next < 0 ? rendered[start..] : rendered[start..next];
            if (piece.Length > 0 || first) ids.AddRange(sentencePiece.Encode(piece, addBos: first));
            first = false;
            if (next < 0) return [.. ids];
            ids.Add(next == bos ? sentencePiece.BosId : sentencePiece.EosId);
            start = next + (next == bos ? Chat.BosText.Length : Chat.EosText.Length);
        }
    }

    // chat_template is a string, or a list of named templates ("default" is the chat one); the tokens are strings or
    // AddedToken objects ({"content": …}).
    private static (string? Template, string? Bos, string? Eos) ReadTokenizerConfig(string path)
    {
        if (!File.Exists(path)) return (null, null, null);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        string? template = null;
        if (root.TryGetProperty("chat_template", out var chat))
        {
            if (chat.ValueKind == JsonValueKind.String) template = chat.GetString();
            else if (chat.ValueKind == JsonValueKind.Array)
            {
                template = chat.EnumerateArray()
                    .Where(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("name", out var n) && n.ValueEquals("default"))
                    .Select(t => t.TryGetProperty("template", out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() : null)
                    .FirstOrDefault();
            }
        }
        return (template, Token(root, "bos_token"), Token(root, "eos_token"));
    }

    private static string? Token(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var token) ? null
        : token.ValueKind == JsonValueKind.String ? token.GetString()
        : token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String ? content.GetString()
        : null;
}
