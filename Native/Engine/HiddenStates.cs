using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BlitzScale.Native.Engine;

/// <summary>
/// The residual stream of a batch: (tokens, hidden) f32. This is what one instance hands to the next when
/// each runs a range of layers.
/// </summary>
public sealed class HiddenStates
{
    private const uint Magic = 0x5A48_5342; // "BSHZ"
    private const int HeaderBytes = 12;

    /// <summary>Zeroed states of <paramref name="tokens"/> rows of <paramref name="width"/>.</summary>
    public HiddenStates(int tokens, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Tokens = tokens;
        Width = width;
        Data = new float[(long)tokens * width];
    }

    /// <summary>Rows.</summary>
    public int Tokens { get; }
    /// <summary>Floats per row (hidden size).</summary>
    public int Width { get; }
    /// <summary>Row-major values.</summary>
    public float[] Data { get; }

    /// <summary>Row <paramref name="token"/>.</summary>
    public Span<float> Row(int token) => Data.AsSpan(token * Width, Width);

    /// <summary>
    /// The row of each segment's last token, one after another (segments × width): the only rows whose logits a
    /// step needs.
    /// </summary>
    public float[] LastRowOfEachSegment(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var last = new float[batch.Segments.Count * Width];
        int t = -1;
        for (int s = 0; s < batch.Segments.Count; s++)
        {
            t += batch.Segments[s].Count;
            Row(t).CopyTo(last.AsSpan(s * Width, Width));
        }
        return last;
    }

    /// <summary>Bytes of <see cref="WriteTo"/>.</summary>
    public int SerializedLength => HeaderBytes + Data.Length * sizeof(float);

    /// <summary>Serializes as <c>magic u32 | tokens u32 | width u32 | f32 LE × tokens × width</c>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < SerializedLength)
            throw new ArgumentException($"need {SerializedLength} bytes, got {destination.Length}", nameof(destination));
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Width);
        var payload = destination[HeaderBytes..SerializedLength];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(Data.AsSpan()).CopyTo(payload);
            return;
        }
        for (int i = 0; i < Data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(payload[(i * 4)..], Data[i]);
    }

    /// <summary>The serialized bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[SerializedLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote, checking the header against the length.</summary>
    /// <exception cref="FormatException">The bytes are not hidden states or are truncated.</exception>
    public static HiddenStates FromBytes(ReadOnlySpan<byte> source)
    {
        if (source.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(source) != Magic)
            throw new FormatException("hidden states: missing header (not produced by HiddenStates.WriteTo)");
        int tokens = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        int width = BinaryPrimitives.ReadInt32LittleEndian(source[8..]);
        if (tokens <= 0 || width <= 0)
            throw new FormatException($"hidden states: header says {tokens} tokens × {width} floats");
        long expected = HeaderBytes + (long)tokens * width * sizeof(float);
        if (source.Length != expected)
            throw new FormatException($"hidden states: {tokens} tokens × {width} floats need {expected} bytes, found {source.Length}");
        var states = new HiddenStates(tokens, width);
        var payload = source[HeaderBytes..];
        if (BitConverter.IsLittleEndian)
        {
            payload.CopyTo(MemoryMarshal.AsBytes(states.Data.AsSpan()));
            return states;
        }
        for (int i = 0; i < states.Data.Length; i++)
            states.Data[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[(i * 4)..]);
        return states;
    }
}
