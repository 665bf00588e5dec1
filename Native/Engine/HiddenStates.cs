using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BlitzScale.Native.Engine;

/// <summary>
/// The residual stream of a batch: (tokens, hidden) f32. This is what one instance hands to the next when
/// each runs a range of layers.
/// </summary>
public sealed class HiddenStates
{
    private const uint Magic = 0x5048_5342; // "BSHP": rows may travel as a prefix of each (SentWidth)
    private const int HeaderBytes = 16;
    // How much larger than its bytes a parsed prefix may grow (a share of 1/8 grows 8 ×).
    private const int MaxExpansion = 64;

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

    /// <summary>
    /// Floats of each row that <see cref="WriteTo"/> writes, from the first: <see cref="Width"/> unless set lower; states read
    /// from bytes keep the width they were sent with, so they serialize back to the same bytes.
    /// </summary>
    /// <remarks>
    /// The timed backend computes with a row's first two values only, and its testbed scales parameters to a thirty-second of the
    /// real model's bytes but activations to a quarter (the narrow f32 model): sent whole, a split step's hidden states and a
    /// move's keys and values took eight times as long, in proportion to the loads, as on the real cluster. A bench sends a
    /// prefix in that proportion (<c>--activation-share</c>); the rest of each row arrives as zeros.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1 or above <see cref="Width"/>.</exception>
    public int SentWidth
    {
        get => _sentWidth ?? Width;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Width);
            _sentWidth = value;
        }
    }

    private int? _sentWidth;

    /// <summary>Bytes of <see cref="WriteTo"/>.</summary>
    public int SerializedLength => checked(HeaderBytes + Tokens * SentWidth * sizeof(float));

    /// <summary>
    /// Serializes as <c>magic u32 | tokens u32 | width u32 | sent u32 | f32 LE × tokens × sent</c>: the first
    /// <see cref="SentWidth"/> floats of each row.
    /// </summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < SerializedLength)
            throw new ArgumentException($"need {SerializedLength} bytes, got {destination.Length}", nameof(destination));
        int sent = SentWidth;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Width);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], sent);
        var payload = destination[HeaderBytes..SerializedLength];
        if (sent == Width && BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(Data.AsSpan()).CopyTo(payload);
            return;
        }
        for (int t = 0; t < Tokens; t++)
        {
            var row = Row(t)[..sent];
            var into = payload.Slice(t * sent * sizeof(float), sent * sizeof(float));
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(row).CopyTo(into);
            else for (int i = 0; i < sent; i++) BinaryPrimitives.WriteSingleLittleEndian(into[(i * 4)..], row[i]);
        }
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
        int sent = BinaryPrimitives.ReadInt32LittleEndian(source[12..]);
        if (tokens <= 0 || width <= 0)
            throw new FormatException($"hidden states: header says {tokens} tokens × {width} floats");
        if (sent <= 0 || sent > width)
            throw new FormatException($"hidden states: header says {sent} of each row's {width} floats were sent");
        long expected = HeaderBytes + (long)tokens * sent * sizeof(float);
        if (source.Length != expected)
        {
            string rows = sent == width ? $"{width} floats" : $"{sent} of {width} floats";
            throw new FormatException($"hidden states: {tokens} tokens × {rows} need {expected} bytes, found {source.Length}");
        }
        // Zeros filled in for what was not sent are bounded, so a hostile header cannot make a few bytes allocate gigabytes.
        if ((long)tokens * width * sizeof(float) > MaxExpansion * (long)source.Length)
            throw new FormatException($"hidden states: {tokens} tokens × {width} floats from {source.Length} bytes expand more than {MaxExpansion} ×");
        var states = new HiddenStates(tokens, width);
        if (sent < width) states.SentWidth = sent;
        var payload = source[HeaderBytes..];
        if (sent == width && BitConverter.IsLittleEndian)
        {
            payload.CopyTo(MemoryMarshal.AsBytes(states.Data.AsSpan()));
            return states;
        }
        // A prefix of each row: the rest stays zero.
        for (int t = 0; t < tokens; t++)
        {
            var from = payload.Slice(t * sent * sizeof(float), sent * sizeof(float));
            var row = states.Row(t)[..sent];
            if (BitConverter.IsLittleEndian) from.CopyTo(MemoryMarshal.AsBytes(row));
            else for (int i = 0; i < sent; i++) row[i] = BinaryPrimitives.ReadSingleLittleEndian(from[(i * 4)..]);
        }
        return states;
    }
}
