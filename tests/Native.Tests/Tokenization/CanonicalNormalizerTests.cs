using System.Text;
using BlitzScale.Native.Tokenization.HuggingFace;

namespace BlitzScale.Native.Tests.Tokenization;

/// <summary>Our NFC/NFD (the app has no ICU) against JavaScript's String.prototype.normalize.</summary>
public sealed class CanonicalNormalizerTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < ReferenceTokenizers.Normalization.Count; i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Nfc_and_nfd_equal_the_reference(int index)
    {
        var expected = ReferenceTokenizers.Normalization[index];
        Assert.Equal(Escape(expected.Nfc), Escape(CanonicalNormalizer.Nfc(expected.Text)));
        Assert.Equal(Escape(expected.Nfd), Escape(CanonicalNormalizer.Nfd(expected.Text)));
    }

    [Fact]
    public void Every_bmp_character_is_a_fixed_point_of_nfc_after_nfd()
    {
        // NFC(NFD(x)) = NFC(x) for every x, and NFC is idempotent: a broad check of the tables' consistency.
        for (var cp = 0; cp < 0x10000; cp++)
        {
            if (cp is >= 0xD800 and < 0xE000)
                continue;
            var text = ((char)cp).ToString();
            var nfc = CanonicalNormalizer.Nfc(text);
            Assert.Equal(nfc, CanonicalNormalizer.Nfc(CanonicalNormalizer.Nfd(text)));
            Assert.Equal(nfc, CanonicalNormalizer.Nfc(nfc));
        }
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
            builder.Append(rune.Value < 0x80 ? ((char)rune.Value).ToString() : $"\\u{rune.Value:X4}");
        return builder.ToString();
    }
}
