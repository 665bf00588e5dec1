namespace BlitzScale.Grains.Interfaces.Keys;

/// <summary>The key of a GPU grain, <c>"{host}/gpu{index}"</c>: one format, one parse.</summary>
public readonly record struct GpuKey
{
    private const string Separator = "/gpu";
    private const string Form = "{host}/gpu{index}";

    /// <summary>The GPU <paramref name="index"/> of <paramref name="host"/>.</summary>
    /// <exception cref="ArgumentException">The host is empty or the index negative.</exception>
    public GpuKey(string host, int index)
    {
        Host = KeyText.RequireName(host, nameof(host));
        Index = KeyText.RequireIndex(index, nameof(index));
    }

    /// <summary>The host the GPU is in.</summary>
    public string Host { get; }

    /// <summary>The GPU's number within its host, from 0.</summary>
    public int Index { get; }

    /// <summary>Parses <c>"{host}/gpu{index}"</c>.</summary>
    /// <exception cref="FormatException">The key is not of that form; the message names it.</exception>
    public static GpuKey Parse(string key) => TryParse(key, out var parsed) ? parsed : throw KeyText.Malformed("GPU key", key, Form);

    /// <summary>Parses <c>"{host}/gpu{index}"</c>; false when <paramref name="key"/> is not of that form.</summary>
    public static bool TryParse(string? key, out GpuKey parsed)
    {
        parsed = default;
        int at = key?.LastIndexOf(Separator, StringComparison.Ordinal) ?? -1;
        if (at <= 0 || string.IsNullOrWhiteSpace(key![..at]) || !KeyText.TryNumber(key.AsSpan(at + Separator.Length), out int index)) return false;
        parsed = new GpuKey(key[..at], index);
        return true;
    }

    /// <summary>Splits into host and index.</summary>
    public void Deconstruct(out string host, out int index) => (host, index) = (Host, Index);

    /// <summary><c>"{host}/gpu{index}"</c>, the grain key.</summary>
    public override string ToString() => $"{Host}{Separator}{Index}";
}
