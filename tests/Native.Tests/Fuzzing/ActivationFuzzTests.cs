using BlitzScale.Native.Engine;

namespace BlitzScale.Native.Tests.Fuzzing;

/// <summary>
/// The live-scaling activation hand-off's own format: hidden states serialized into a one-blob image, which travels on
/// the data plane as any image does (so its frames are the blob protocol's, fuzzed by the wire-format tests) and is
/// parsed by <see cref="HiddenStates.FromBytes"/> once it has landed. Fed generated hostile bytes (fixed seed), the
/// parser returns states that serialize back to exactly its input, or throws <see cref="FormatException"/>, in bounded
/// time and memory (a header claiming billions of floats must not allocate them).
/// </summary>
public sealed class ActivationFuzzTests
{
    [Fact]
    public void Hidden_states_parsed_from_hostile_bytes_are_exactly_those_bytes_or_a_FormatException()
    {
        var states = new HiddenStates(3, 8);
        var random = new Random(81);
        for (int i = 0; i < states.Data.Length; i++) states.Data[i] = (float)(random.NextDouble() * 2 - 1);
        var valid = states.ToBytes();

        Fuzz.Run(Mutations.Bytes(valid), 600, seed: 82, bytes =>
        {
            var parsed = HiddenStates.FromBytes(bytes);
            Assert.Equal(bytes, parsed.ToBytes());
        }, e => e is FormatException, Fuzz.Hex);
        Assert.Equal(valid, HiddenStates.FromBytes(valid).ToBytes());
    }
}
