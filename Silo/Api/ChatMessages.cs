using System.Text;
using System.Text.Json;

namespace BlitzScale.Silo.Api;

/// <summary>Reads the <c>messages</c> field of a chat request.</summary>
internal static class ChatMessages
{
    private static readonly string[] Roles = ["system", "user", "assistant", "developer"];

    /// <exception cref="ApiException">400 naming <c>messages</c> (or the message's field).</exception>
    public static IReadOnlyList<ChatMessage> Read(JsonElement body)
    {
        if (JsonFields.Get(body, "messages") is not { } list)
            throw ApiException.Invalid("messages", "messages: expected an array of {role, content} objects, found none");
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw JsonFields.Wrong("messages", "a non-empty array of {role, content} objects", list);
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) throw JsonFields.Wrong(at, "an object with role and content", item);
            string role = JsonFields.String(item, "role") ?? throw ApiException.Invalid($"{at}.role", $"{at}.role: expected one of {string.Join(", ", Roles)}, found none");
            if (!Roles.Contains(role)) throw ApiException.Invalid($"{at}.role", $"{at}.role: expected one of {string.Join(", ", Roles)}, found \"{role}\"");
            // OpenAI's newer "developer" role is the system message of older models.
            messages.Add(new ChatMessage(role == "developer" ? "system" : role, Content(item, at)));
        }
        return messages;
    }

    // A string, or a list of parts of which only text is understood.
    private static string Content(JsonElement message, string at)
    {
        switch (JsonFields.Get(message, "content"))
        {
            case null:
                return "";
            case { ValueKind: JsonValueKind.String } text:
                return text.GetString()!;
            case { ValueKind: JsonValueKind.Array } parts:
                var joined = new StringBuilder();
                foreach (var part in parts.EnumerateArray())
                {
                    if (part.ValueKind != JsonValueKind.Object || JsonFields.String(part, "type") != "text" || JsonFields.String(part, "text") is not { } partText)
                        throw JsonFields.Wrong($"{at}.content", "a string or an array of {\"type\": \"text\", \"text\": …} parts", part);
                    joined.Append(partText);
                }
                return joined.ToString();
            case { } other:
                throw JsonFields.Wrong($"{at}.content", "a string or an array of text parts", other);
        }
    }
}
