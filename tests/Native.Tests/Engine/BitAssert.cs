using System.Runtime.InteropServices;

namespace BlitzScale.Native.Tests;

/// <summary>Bit-for-bit comparison of f32 values, reporting the first difference.</summary>
internal static class BitAssert
{
    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        if (MemoryMarshal.AsBytes(expected).SequenceEqual(MemoryMarshal.AsBytes(actual))) return;
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: first difference at index {i}: {expected[i]:R} vs {actual[i]:R}");
        }
    }
}
