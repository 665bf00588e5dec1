using System.Text;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;
using BlitzScale.Native.Tokenization;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>A model directory with only a tokenizer.json is served through the same path as a SentencePiece one.</summary>
public sealed class TokenizerJsonModelTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_model_with_only_a_tokenizer_json_loads_and_generates()
    {
        WriteModel(vocabSize: 669, "llama3");
        using var model = LocalModel.Open(_temp.Path);
        var tokenizer = Assert.IsType<ByteLevelBpeTokenizer>(model.Tokenizer);
        Assert.Equal(_temp.File("tokenizer.json"), tokenizer.FilePath);

        var prompt = model.Tokenizer.Encode("Once upon a time 👍🏽");
        Assert.Equal(tokenizer.BosId, prompt[0]);
        var result = model.CreateGenerator().Generate(prompt, new GenerationOptions(MaxTokens: 8, StopAtEos: false));
        Assert.Equal(8, result.OutputIds.Length);

        // What a client streams is what a whole decode gives.
        var decoder = new StreamingDecoder(model.Tokenizer);
        var streamed = new StringBuilder();
        foreach (var id in result.OutputIds)
            streamed.Append(decoder.Append(id));
        streamed.Append(decoder.Flush());
        Assert.Equal(model.Tokenizer.Decode([.. result.OutputIds]), streamed.ToString());
        Assert.Equal("Once upon a time 👍🏽", model.Tokenizer.Decode(prompt));
    }

    [Fact]
    public void A_tokenizer_larger_than_config_vocab_size_is_refused_naming_tokenizer_json()
    {
        WriteModel(vocabSize: 512, "qwen2");
        using var directory = ModelDirectory.Open(_temp.Path);
        var error = Assert.Throws<ModelConfigException>(directory.LoadTokenizer);
        Assert.Equal(_temp.File("tokenizer.json"), error.FilePath);
        Assert.Contains("611", error.Message);
        Assert.Contains("vocab_size is 512", error.Message);
    }

    private void WriteModel(int vocabSize, string kind)
    {
        SyntheticModelWriter.Write(_temp.Path, SyntheticShapes.Get("tiny") with { VocabSize = vocabSize }, DType.F32, seed: 5);
        File.Delete(_temp.File("tokenizer.model"));
        foreach (var name in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(ReferenceTokenizers.Directory(kind), name), _temp.File(name));
    }
}
