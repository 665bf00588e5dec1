namespace BlitzScale.Grains.Interfaces.Keys;

/// <summary>The key of a host's memory grain (its model copies), <c>"{host}/memory"</c>: one format, one parse.</summary>
public readonly record struct HostMemoryKey
{
    private const string Suffix = "/memory";
    private const string Form = "{host}/memory";

    /// <summary>The memory of <paramref name="host"/>.</summary>
    /// <exception cref="ArgumentException">The host is empty.</exception>
    public HostMemoryKey(string host) => Host = KeyText.RequireName(host, nameof(host));

    /// <summary>The host.</summary>
    public string Host { get; }

    /// <summary>Parses <c>"{host}/memory"</c>.</summary>
    /// <exception cref="FormatException">The key is not of that form; the message names it.</exception>
    public static HostMemoryKey Parse(string key) => TryParse(key, out var parsed) ? parsed : throw KeyText.Malformed("host memory key", key, Form);

    /// <summary>Parses <c>"{host}/memory"</c>; false when <paramref name="key"/> is not of that form.</summary>
    public static bool TryParse(string? key, out HostMemoryKey parsed)
    {
        parsed = default;
        if (key is null || !key.EndsWith(Suffix, StringComparison.Ordinal) || string.IsNullOrWhiteSpace(key[..^Suffix.Length])) return false;
        parsed = new HostMemoryKey(key[..^Suffix.Length]);
        return true;
    }

    /// <summary><c>"{host}/memory"</c>, the grain key.</summary>
    public override string ToString() => Host + Suffix;
}
