namespace BlitzScale.Grains.Interfaces.Keys;

/// <summary>
/// The data-plane source id a host's memory copy of a model is registered under, <c>"{model}@{host}/memory"</c>, so that
/// copies of different models on one host, and shards (registered under their <see cref="ShardKey"/>), never collide.
/// </summary>
public readonly record struct HostCopySourceId
{
    private const string Suffix = "/memory";
    private const string Form = "{model}@{host}/memory";

    /// <summary>The copy of <paramref name="model"/> in the memory of <paramref name="host"/>.</summary>
    /// <exception cref="ArgumentException">A name is empty, or the host contains <c>@</c> (it would make the id ambiguous).</exception>
    public HostCopySourceId(string model, string host)
    {
        Model = KeyText.RequireName(model, nameof(model));
        Host = KeyText.RequireName(host, nameof(host));
        if (host.Contains('@', StringComparison.Ordinal)) throw new ArgumentException($"host: \"{host}\" contains '@'", nameof(host));
    }

    /// <summary>The model.</summary>
    public string Model { get; }

    /// <summary>The host whose memory holds the copy.</summary>
    public string Host { get; }

    /// <summary>Parses <c>"{model}@{host}/memory"</c>.</summary>
    /// <exception cref="FormatException">The id is not of that form; the message names it.</exception>
    public static HostCopySourceId Parse(string id) => TryParse(id, out var parsed) ? parsed : throw KeyText.Malformed("host copy source id", id, Form);

    /// <summary>Parses <c>"{model}@{host}/memory"</c>; false when <paramref name="id"/> is not of that form.</summary>
    public static bool TryParse(string? id, out HostCopySourceId parsed)
    {
        parsed = default;
        if (id is null || !id.EndsWith(Suffix, StringComparison.Ordinal)) return false;
        int at = id.LastIndexOf('@');
        if (at <= 0 || string.IsNullOrWhiteSpace(id[..at]) || string.IsNullOrWhiteSpace(id[(at + 1)..^Suffix.Length]))
            return false;
        parsed = new HostCopySourceId(id[..at], id[(at + 1)..^Suffix.Length]);
        return true;
    }

    /// <summary><c>"{model}@{host}/memory"</c>, the source id.</summary>
    public override string ToString() => $"{Model}@{Host}{Suffix}";
}
