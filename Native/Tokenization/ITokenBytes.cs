namespace BlitzScale.Native.Tokenization;

/// <summary>Id → the UTF-8 bytes a token contributes when decoded; shared by full and streamed decoding so they agree.</summary>
internal interface ITokenBytes
{
    /// <summary>False for control and special tokens: they neither print nor end the "at start" state.</summary>
    bool IsVisible(int id);

    /// <summary>The UTF-8 bytes token <paramref name="id"/> contributes; <paramref name="atStart"/> is true until the first visible token.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    ReadOnlySpan<byte> Utf8(int id, bool atStart);
}
