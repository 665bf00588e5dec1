using BlitzScale.Native.Models;
using BlitzScale.Native.Tokenization;

namespace BlitzScale.Grains.Serving;

/// <summary>
/// The tokenizers this silo has read, by model directory. Reading one (a 32,000-piece SentencePiece model parsed by
/// Microsoft.ML.Tokenizers) took 12-400 ms of each shard's load call on 2 busy cores, and every instance of a model on a
/// host reads the same files. An entry stands while the tokenizer files keep their length and write time and config.json
/// its vocabulary size (the tokenizer is checked against it); a tokenizer that fails to read is never kept.
/// </summary>
/// <remarks>One tokenizer serves many generations at once already (a shard's concurrent requests); shards share it the same way.</remarks>
internal sealed class TokenizerCache
{
    // Models a host serves at once are few; the oldest entry goes beyond this many.
    private const int Capacity = 16;
    private static readonly string[] TokenizerFiles = ["tokenizer.model", "tokenizer.json", "tokenizer_config.json"];
    private readonly Lock _gate = new();
    private readonly Dictionary<Key, TextTokenizer> _read = [];
    private readonly Queue<Key> _order = new();

    /// <summary>How many tokenizers were read from their files (not found here).</summary>
    public int Reads { get; private set; }

    /// <summary>The tokenizer of <paramref name="model"/>, read from its files unless this silo has read the same files before.</summary>
    /// <exception cref="ArgumentException">The tokenizer file is missing or malformed; the message names it.</exception>
    public TextTokenizer Get(ModelDirectory model)
    {
        var key = Key.Of(model);
        lock (_gate)
        {
            if (_read.TryGetValue(key, out var known)) return known;
        }
        // Read outside the lock: another model's load must not wait for this one's parse. Two loads of one model may both read it.
        var tokenizer = ModelFiles.Tokenizer(model);
        lock (_gate)
        {
            Reads++;
            if (_read.TryGetValue(key, out var raced)) return raced;
            _read[key] = tokenizer;
            _order.Enqueue(key);
            while (_order.Count > Capacity) _read.Remove(_order.Dequeue());
        }
        return tokenizer;
    }

    private readonly record struct Key(string Directory, int VocabSize, int BosId, int EosId, string Files)
    {
        public static Key Of(ModelDirectory model)
        {
            string directory = Path.GetFullPath(model.Path);
            var files = TokenizerFiles.Select(name => new FileInfo(Path.Combine(directory, name)))
                .Select(f => f.Exists ? $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}" : "");
            return new Key(directory, model.Config.VocabSize, model.Generation.BosTokenId, model.Generation.EosTokenId, string.Join('|', files));
        }
    }
}
