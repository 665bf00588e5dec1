using System.Text;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>ByteLevelBpeTokenizer gives the Hugging Face tokenizers' ids and text on the Llama-3 and Qwen2 kind reference files.</summary>
public sealed class ByteLevelBpeReferenceTests
{
    private static readonly Dictionary<string, ByteLevelBpeTokenizer> Tokenizers = [];

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var kind in ReferenceTokenizers.Kinds)
        {
            for (var i = 0; i < ReferenceTokenizers.Cases(kind).Count; i++)
                data.Add(kind, i);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_with_special_tokens_equal_the_reference(string kind, int index)
    {
        var expected = ReferenceTokenizers.Cases(kind)[index];
        Assert.Equal(expected.Ids, Load(kind).Encode(expected.Text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_without_special_tokens_equal_the_reference(string kind, int index)
    {
        var expected = ReferenceTokenizers.Cases(kind)[index];
        Assert.Equal(expected.IdsWithoutSpecial, Load(kind).Encode(expected.Text, addBos: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_gives_the_reference_text_whole_and_streamed(string kind, int index)
    {
        var expected = ReferenceTokenizers.Cases(kind)[index];
        var tokenizer = Load(kind);
        Assert.Equal(expected.Decoded, tokenizer.Decode(expected.Ids));

        var decoder = new StreamingDecoder(tokenizer);
        var streamed = new StringBuilder();
        foreach (var id in expected.Ids)
            streamed.Append(decoder.Append(id));
        streamed.Append(decoder.Flush());
        Assert.Equal(expected.Decoded, streamed.ToString());
    }

    [Theory]
    [InlineData("llama3", 658)]
    [InlineData("llama3-config-bos", 658)]
    public void Llama3_kind_puts_begin_of_text_first(string kind, int bos)
    {
        var tokenizer = Load(kind);
        Assert.Equal(bos, tokenizer.BosId);
        Assert.Equal([bos], tokenizer.Encode(""));
    }

    [Fact]
    public void Qwen2_kind_has_no_bos_and_encodes_empty_text_to_nothing()
    {
        var tokenizer = Load("qwen2");
        Assert.Null(tokenizer.BosId);
        Assert.Empty(tokenizer.Encode(""));
    }

    [Fact]
    public void Digits_are_grouped_by_three_for_llama3_and_split_one_by_one_for_qwen2()
    {
        // Tokens never cross a pre-tokenizer boundary, so the token ends show where the digits were cut.
        Assert.Superset(new HashSet<int> { 3, 6, 7 }, TokenEnds("llama3", "1234567").ToHashSet());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], TokenEnds("qwen2", "1234567"));
    }

    [Fact]
    public void A_character_split_over_byte_tokens_streams_out_whole_once_complete()
    {
        var tokenizer = Load("qwen2");
        var ids = tokenizer.Encode("🦀", addBos: false);
        Assert.True(ids.Length > 1, "the crab emoji is not in the small vocabulary, so it takes several byte tokens");
        var decoder = new StreamingDecoder(tokenizer);
        var pieces = ids.Select(decoder.Append).ToArray();
        Assert.All(pieces[..^1], piece => Assert.Equal("", piece));
        Assert.Equal("🦀", pieces[^1]);
        Assert.Equal("\uFFFD", tokenizer.DecodePiece(-1, ids[0]));
    }

    [Fact]
    public void Special_tokens_are_skipped_and_plain_added_tokens_kept_when_decoding()
    {
        var tokenizer = Load("qwen2");
        var ids = tokenizer.Encode("<|im_start|>a<tool_call>b<|im_end|>", addBos: false);
        Assert.Equal("a<tool_call>b", tokenizer.Decode(ids));
        Assert.Equal("", tokenizer.DecodePiece(-1, ids[0]));
    }

    [Fact]
    public void Vocabulary_size_counts_the_added_tokens()
    {
        Assert.Equal(669, Load("llama3").VocabSize);
        Assert.Equal(611, Load("qwen2").VocabSize);
    }

    private static int[] TokenEnds(string kind, string text)
    {
        var tokenizer = Load(kind);
        var end = 0;
        return [.. tokenizer.Encode(text, addBos: false).Select(id => end += tokenizer.Decode([id]).Length)];
    }

    private static ByteLevelBpeTokenizer Load(string kind)
    {
        lock (Tokenizers)
        {
            if (!Tokenizers.TryGetValue(kind, out var tokenizer))
            {
                tokenizer = ByteLevelBpeTokenizer.Load(ReferenceTokenizers.Directory(kind), eosId: 0);
                Tokenizers[kind] = tokenizer;
            }
            return tokenizer;
        }
    }
}
