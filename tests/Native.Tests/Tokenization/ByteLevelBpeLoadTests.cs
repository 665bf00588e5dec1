using System.Text.Json.Nodes;
using BlitzScale.Native.Tokenization;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>Malformed or unsupported tokenizer.json files give errors that name the file, the field, and what was expected versus found.</summary>
public sealed class ByteLevelBpeLoadTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string JsonPath => _temp.File("tokenizer.json");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Missing_model_vocab_is_named()
    {
        var error = LoadEdited(t => t["model"]!.AsObject().Remove("vocab"));
        Assert.Equal(JsonPath, error.FilePath);
        Assert.Contains("field \"model.vocab\": missing (expected an object of token → id)", error.Message);
    }

    [Fact]
    public void A_merge_of_the_wrong_shape_is_named_with_its_index_and_value()
    {
        var error = LoadEdited(t => t["model"]!["merges"]!.AsArray()[3] = new JsonArray("a", "b", "c"));
        Assert.Contains("field \"model.merges[3]\": expected a merge: \"a b\" or [\"a\", \"b\"], found [\"a\",\"b\",\"c\"]", error.Message);

        error = LoadEdited(t => t["model"]!["merges"]!.AsArray()[0] = "abc");
        Assert.Contains("field \"model.merges[0]\": expected a merge", error.Message);
        Assert.Contains("found \"abc\"", error.Message);
    }

    [Fact]
    public void A_merge_of_tokens_outside_the_vocabulary_is_refused()
    {
        var error = LoadEdited(t => t["model"]!["merges"]!.AsArray().Add("Ġnot-a-token zz"));
        Assert.Contains("field \"model.merges\":", error.Message);
        Assert.Contains("Ġnot-a-token", error.Message);
    }

    [Theory]
    [InlineData("WordPiece")]
    [InlineData("Unigram")]
    public void Other_model_types_are_not_supported(string type)
    {
        var error = LoadEdited(t => t["model"]!["type"] = type);
        Assert.Contains($"field \"model.type\": not supported: \"{type}\"", error.Message);
    }

    [Fact]
    public void A_sentencepiece_style_tokenizer_json_is_not_supported()
    {
        // Llama-2's tokenizer.json: Metaspace-like normalizer and no ByteLevel.
        var error = LoadEdited(t =>
        {
            t["normalizer"] = JsonNode.Parse("""{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"}]}""");
            t["pre_tokenizer"] = null;
        });
        Assert.Contains("field \"normalizer.normalizers[0].type\": not supported: normalizer \"Prepend\"", error.Message);
    }

    [Fact]
    public void A_pre_tokenizer_without_byte_level_is_not_supported()
    {
        var error = LoadEdited(t => t["pre_tokenizer"]!["pretokenizers"]!.AsArray().RemoveAt(1));
        Assert.Contains("field \"pre_tokenizer\": not supported: a pre_tokenizer without ByteLevel", error.Message);
    }

    [Fact]
    public void A_split_behaviour_other_than_isolated_is_not_supported()
    {
        var error = LoadEdited(t => t["pre_tokenizer"]!["pretokenizers"]![0]!["behavior"] = "MergedWithPrevious");
        Assert.Contains("field \"pre_tokenizer.pretokenizers[0].behavior\": not supported: \"MergedWithPrevious\"", error.Message);
    }

    [Fact]
    public void A_decoder_other_than_byte_level_is_not_supported()
    {
        var error = LoadEdited(t => t["decoder"] = JsonNode.Parse("""{"type":"WordPiece","prefix":"##"}"""));
        Assert.Contains("field \"decoder\": not supported:", error.Message);
    }

    [Fact]
    public void Invalid_json_names_the_file()
    {
        File.WriteAllText(JsonPath, "{\"model\": ");
        var error = Assert.Throws<TokenizerException>(() => ByteLevelBpeTokenizer.Load(_temp.Path, 0));
        Assert.Equal(JsonPath, error.FilePath);
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void A_template_naming_an_undefined_special_token_is_refused()
    {
        var error = LoadEdited(t => t["post_processor"]!["processors"]![1]!["special_tokens"] = new JsonObject());
        Assert.Contains("field \"post_processor.processors[1].special_tokens\": \"<|begin_of_text|>\" is used by the single template but not defined here", error.Message);
    }

    [Fact]
    public void Eos_outside_the_vocabulary_is_refused()
    {
        Write(t => { });
        var error = Assert.Throws<TokenizerException>(() => ByteLevelBpeTokenizer.Load(_temp.Path, 669));
        Assert.Contains("eos_id 669 is outside the vocabulary of 669 tokens", error.Message);
    }

    [Fact]
    public void Add_bos_token_false_in_tokenizer_config_drops_the_templates_bos()
    {
        Write(t => { }, """{"add_bos_token": false, "bos_token": "<|begin_of_text|>"}""");
        var tokenizer = ByteLevelBpeTokenizer.Load(_temp.Path, 0);
        Assert.Null(tokenizer.BosId);
        Assert.Empty(tokenizer.Encode(""));
    }

    [Fact]
    public void Add_bos_token_true_needs_a_known_bos_token()
    {
        Write(t => { }, """{"add_bos_token": true, "bos_token": {"content": "<s>"}}""");
        var error = Assert.Throws<TokenizerException>(() => ByteLevelBpeTokenizer.Load(_temp.Path, 0));
        Assert.Equal(_temp.File("tokenizer_config.json"), error.FilePath);
        Assert.Contains("field \"bos_token\": \"<s>\" is not a token of tokenizer.json", error.Message);
    }

    [Fact]
    public void Lstrip_and_rstrip_added_tokens_swallow_the_whitespace_beside_them()
    {
        Write(t =>
        {
            var eot = t["added_tokens"]!.AsArray().Single(a => (string?)a!["content"] == "<|eot_id|>")!;
            eot["lstrip"] = true;
            eot["rstrip"] = true;
        });
        var tokenizer = ByteLevelBpeTokenizer.Load(_temp.Path, 0);
        Assert.Equal(tokenizer.Encode("a<|eot_id|>b", addBos: false), tokenizer.Encode("a \t<|eot_id|>\n b", addBos: false));
    }

    private TokenizerException LoadEdited(Action<JsonNode> edit)
    {
        Write(edit);
        return Assert.Throws<TokenizerException>(() => ByteLevelBpeTokenizer.Load(_temp.Path, 0));
    }

    private void Write(Action<JsonNode> edit, string? config = null)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceTokenizers.Directory("llama3"), "tokenizer.json")))!;
        edit(json);
        File.WriteAllText(JsonPath, json.ToJsonString());
        if (config is not null)
            File.WriteAllText(_temp.File("tokenizer_config.json"), config);
    }
}
