using System.Text;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// Id → bytes for decoding a byte-level BPE tokenizer: a vocabulary token stands for the bytes its characters
/// encode, a non-special added token for its text, a special added token (and an unused id) for nothing.
/// </summary>
internal sealed class ByteLevelTokenTable : ITokenBytes
{
    private readonly byte[][] _utf8;
    private readonly bool[] _visible;

    public ByteLevelTokenTable(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<AddedToken> added, int count)
    {
        _utf8 = new byte[count][];
        _visible = new bool[count];
        Array.Fill(_utf8, []);
        foreach (var (token, id) in vocabulary)
        {
            _utf8[id] = ByteLevelAlphabet.Decode(token);
            _visible[id] = true;
        }
        foreach (var token in added)
        {
            _utf8[token.Id] = token.Special ? [] : Encoding.UTF8.GetBytes(token.Content);
            _visible[token.Id] = !token.Special;
        }
    }

    public int Count => _utf8.Length;

    public bool IsVisible(int id) => _visible[Check(id)];

    public ReadOnlySpan<byte> Utf8(int id, bool atStart) => _utf8[Check(id)];

    private int Check(int id)
    {
        if ((uint)id >= (uint)_utf8.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_utf8.Length} tokens");
        return id;
    }
}
