using System.Text.Json;
using BlitzScale.Silo.Api;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests.Api;

/// <summary>
/// The C# chat formats against the published templates rendered by @huggingface/jinja (Api/jinja/render.mjs wrote
/// expected.json): each template is recognised as its family and renders the same text, less the leading BOS.
/// </summary>
public sealed class ChatTemplateReferenceTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Load().Count; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_rendering_equals_the_jinja_reference(int index)
    {
        var reference = Load()[index];
        var root = reference.RootElement;
        string expectedText = root.GetProperty("text").GetString()!;
        string bos = root.GetProperty("bos").GetString()!;
        var messages = root.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();

        var template = ChatTemplate.Recognise(root.GetProperty("template").GetString(), bos.Length == 0 ? null : bos, root.GetProperty("eos").GetString());
        Assert.Equal(root.GetProperty("family").GetString(), template.Family.ToString());
        // The instance adds BOS when it encodes the prompt; the rendered text leaves it out.
        string expected = bos.Length > 0 && expectedText.StartsWith(bos, StringComparison.Ordinal) ? expectedText[bos.Length..] : expectedText;
        Assert.Equal(expected, template.Render(messages));
    }

    private static List<JsonDocument> Load()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "Silo.Tests", "Api", "jinja", "expected.json")));
        return [.. file.RootElement.EnumerateArray().Select(c => JsonDocument.Parse(c.GetRawText()))];
    }
}
