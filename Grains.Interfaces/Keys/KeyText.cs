using System.Globalization;

namespace BlitzScale.Grains.Interfaces.Keys;

/// <summary>The pieces every key's parse shares: strict numbers (one text per number, so parse and format round-trip) and the error.</summary>
internal static class KeyText
{
    /// <summary>A non-negative decimal without sign, spaces or leading zeros.</summary>
    public static bool TryNumber(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        if (text.Length == 0 || (text.Length > 1 && text[0] == '0')) return false;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static FormatException Malformed(string what, string? key, string form) =>
        new($"{what} \"{key}\" is not of the form \"{form}\"");

    public static string RequireName(string value, string name) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name}: expected a name, found \"{value}\"", name) : value;

    public static int RequireIndex(int value, string name) =>
        value < 0 ? throw new ArgumentOutOfRangeException(name, value, $"{name}: expected 0 or more") : value;
}
