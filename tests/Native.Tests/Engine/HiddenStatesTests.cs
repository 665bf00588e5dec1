using System.Buffers.Binary;
using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Tests.Engine;

/// <summary>The wire format of hidden states between instances: exact round trip, and errors that say what was wrong.</summary>
public sealed class HiddenStatesTests
{
    [Fact]
    public void Bytes_round_trip_every_value_bit_for_bit()
    {
        var states = new HiddenStates(3, 5);
        float[] special = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.MaxValue,
            BitConverter.Int32BitsToSingle(0x7FC0_1234)];
        for (int i = 0; i < states.Data.Length; i++)
            states.Data[i] = i < special.Length ? special[i] : i * -0.37f;

        byte[] bytes = states.ToBytes();
        Assert.Equal(16 + 15 * 4, bytes.Length);
        Assert.Equal(states.SerializedLength, bytes.Length);
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(5, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)));

        var back = HiddenStates.FromBytes(bytes);
        Assert.Equal(3, back.Tokens);
        Assert.Equal(5, back.Width);
        BitAssert.Equal(states.Data, back.Data, "round trip");
        BitAssert.Equal(states.Row(2), back.Row(2), "row 2");
    }

    [Fact]
    public void WriteTo_refuses_a_short_destination()
    {
        var states = new HiddenStates(2, 2);
        var error = Assert.Throws<ArgumentException>(() => states.WriteTo(new byte[states.SerializedLength - 1]));
        Assert.Contains($"need {states.SerializedLength} bytes", error.Message);
    }

    [Fact]
    public void Truncated_bytes_say_how_many_were_needed_and_found()
    {
        byte[] bytes = new HiddenStates(2, 4).ToBytes();
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Contains("2 tokens × 4 floats need 48 bytes, found 47", error.Message);
    }

    [Fact]
    public void Extra_bytes_are_rejected_too()
    {
        byte[] bytes = [.. new HiddenStates(2, 4).ToBytes(), 0];
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes));
        Assert.Contains("found 49", error.Message);
    }

    [Fact]
    public void A_wrong_magic_says_the_header_is_missing()
    {
        byte[] bytes = new HiddenStates(1, 1).ToBytes();
        bytes[0] ^= 0xFF;
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes));
        Assert.Contains("missing header", error.Message);
    }

    [Fact]
    public void Fewer_bytes_than_a_header_say_the_header_is_missing()
    {
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(new HiddenStates(1, 1).ToBytes().AsSpan(0, 15)));
        Assert.Contains("missing header", error.Message);
    }

    [Fact]
    public void A_header_that_disagrees_with_the_length_is_rejected()
    {
        byte[] bytes = new HiddenStates(2, 4).ToBytes();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 3);
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes));
        Assert.Contains("3 tokens × 4 floats need 64 bytes, found 48", error.Message);
    }

    [Fact]
    public void A_prefix_of_each_row_travels_and_the_rest_arrives_as_zeros()
    {
        var states = new HiddenStates(3, 8);
        for (int i = 0; i < states.Data.Length; i++) states.Data[i] = i + 1;
        states.SentWidth = 2;

        byte[] bytes = states.ToBytes();
        Assert.Equal(16 + 3 * 2 * 4, bytes.Length);
        Assert.Equal(states.SerializedLength, bytes.Length);

        var back = HiddenStates.FromBytes(bytes);
        Assert.Equal((3, 8, 2), (back.Tokens, back.Width, back.SentWidth));
        Assert.Equal([1f, 2f, 0, 0, 0, 0, 0, 0], back.Row(0).ToArray());
        Assert.Equal([17f, 18f, 0, 0, 0, 0, 0, 0], back.Row(2).ToArray());
        // Read back, it serializes to the same bytes.
        Assert.Equal(bytes, back.ToBytes());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void A_sent_width_outside_the_row_is_refused(int sent) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HiddenStates(1, 8) { SentWidth = sent });

    [Theory]
    [InlineData(0, "0 of each row's 4 floats")]
    [InlineData(5, "5 of each row's 4 floats")]
    public void A_header_whose_sent_width_is_outside_the_row_is_rejected(int sent, string expected)
    {
        byte[] bytes = new HiddenStates(2, 4).ToBytes();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), sent);
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_header_that_would_expand_a_few_bytes_into_gigabytes_is_rejected()
    {
        byte[] bytes = new HiddenStates(1, 1).ToBytes();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 1 << 28);
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes));
        Assert.Contains("expand more than 64 ×", error.Message);
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(2, -1)]
    public void A_header_with_no_rows_or_negative_width_is_rejected(int tokens, int width)
    {
        byte[] bytes = new HiddenStates(2, 4).ToBytes();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), tokens);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), width);
        var error = Assert.Throws<FormatException>(() => HiddenStates.FromBytes(bytes));
        Assert.Contains($"header says {tokens} tokens × {width} floats", error.Message);
    }
}
