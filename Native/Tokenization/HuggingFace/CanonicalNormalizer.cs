using System.Globalization;
using System.Text;

namespace BlitzScale.Native.Tokenization.HuggingFace;

/// <summary>
/// Unicode NFC and NFD (UAX #15) from tables shipped with the assembly (Data/canonical-data.txt), because the
/// app runs with InvariantGlobalization, where <see cref="string.Normalize()"/> leaves text unchanged.
/// </summary>
internal static class CanonicalNormalizer
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    // Text below U+0300 is already NFC: nothing there is excluded from composition and nothing combines with it.
    private const char FirstCombining = '\u0300';

    private static readonly Tables Data = Tables.Load();

    public static string Nfc(string text) => Normalize(text, compose: true);

    public static string Nfd(string text) => Normalize(text, compose: false);

    private static string Normalize(string text, bool compose)
    {
        if (compose && !text.AsSpan().ContainsAnyInRange(FirstCombining, char.MaxValue))
            return text;
        var code = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
            Decompose(rune.Value, code);
        Reorder(code);
        if (compose)
            Compose(code);
        var builder = new StringBuilder(code.Count);
        foreach (var cp in code)
            builder.Append(char.ConvertFromUtf32(cp));
        return builder.ToString();
    }

    private static void Decompose(int cp, List<int> output)
    {
        var s = cp - SBase;
        if (s is >= 0 and < SCount)
        {
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0)
                output.Add(TBase + s % TCount);
            return;
        }
        if (Data.Decomposition.TryGetValue(cp, out var parts))
        {
            foreach (var part in parts)
                Decompose(part, output);
            return;
        }
        output.Add(cp);
    }

    // Canonical ordering: a stable sort of each run of non-starters by combining class.
    private static void Reorder(List<int> code)
    {
        for (var i = 1; i < code.Count; i++)
        {
            var cp = code[i];
            var ccc = Ccc(cp);
            if (ccc == 0)
                continue;
            var j = i;
            while (j > 0 && Ccc(code[j - 1]) > ccc)
            {
                code[j] = code[j - 1];
                j--;
            }
            code[j] = cp;
        }
    }

    // The canonical composition algorithm of UAX #15: a character joins the last starter unless blocked.
    private static void Compose(List<int> code)
    {
        if (code.Count == 0)
            return;
        var starterIndex = 0;
        // The class of the last character kept since the starter; 256 blocks everything after a leading non-starter.
        var lastClass = Ccc(code[0]) == 0 ? 0 : 256;
        var written = 1;
        for (var i = 1; i < code.Count; i++)
        {
            var cp = code[i];
            var ccc = Ccc(cp);
            if ((lastClass < ccc || lastClass == 0) && Composite(code[starterIndex], cp) is >= 0 and var composite)
            {
                code[starterIndex] = composite;
                continue;
            }
            if (ccc == 0)
                starterIndex = written;
            lastClass = ccc;
            code[written++] = cp;
        }
        code.RemoveRange(written, code.Count - written);
    }

    private static int Composite(int first, int second)
    {
        var l = first - LBase;
        var v = second - VBase;
        if (l is >= 0 and < LCount && v is >= 0 and < VCount)
            return SBase + (l * VCount + v) * TCount;
        var s = first - SBase;
        var t = second - TBase;
        if (s is >= 0 and < SCount && s % TCount == 0 && t is > 0 and < TCount)
            return first + t;
        return Data.Composition.TryGetValue(((long)first << 21) | (uint)second, out var composite) ? composite : -1;
    }

    private static int Ccc(int cp) => Data.CombiningClass.TryGetValue(cp, out var ccc) ? ccc : 0;

    private sealed record Tables(Dictionary<int, byte> CombiningClass, Dictionary<int, int[]> Decomposition, Dictionary<long, int> Composition)
    {
        public static Tables Load()
        {
            using var stream = typeof(CanonicalNormalizer).Assembly.GetManifestResourceStream("BlitzScale.Native.Tokenization.CanonicalData")
                ?? throw new InvalidOperationException("the canonical-data resource is missing from the assembly");
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var ccc = new Dictionary<int, byte>();
            var decomposition = new Dictionary<int, int[]>();
            var excluded = new HashSet<int>();
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0 || line[0] == '#')
                    continue;
                var fields = line.Split(' ');
                switch (fields[0])
                {
                    case "C":
                        for (int cp = Hex(fields[1]), last = Hex(fields[2]); cp <= last; cp++)
                            ccc[cp] = byte.Parse(fields[3], CultureInfo.InvariantCulture);
                        break;
                    case "D":
                        decomposition[Hex(fields[1])] = [.. fields.Skip(2).Select(Hex)];
                        break;
                    case "X":
                        excluded.Add(Hex(fields[1]));
                        break;
                }
            }
            var composition = new Dictionary<long, int>();
            foreach (var (cp, parts) in decomposition)
            {
                if (parts.Length == 2 && !excluded.Contains(cp))
                    composition[((long)parts[0] << 21) | (uint)parts[1]] = cp;
            }
            return new Tables(ccc, decomposition, composition);
        }

        private static int Hex(string text) => int.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }
}
