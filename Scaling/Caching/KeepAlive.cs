namespace BlitzScale.Scaling.Caching;

/// <summary>
/// The keep-alive expiry of cached copies (the <c>sllm</c> policy's host copies): an entry with a keep-alive expires once
/// it has gone unused that long (at exactly that long); a use renews it; an entry without a keep-alive never expires. An
/// entry held in use (a copy still filling) never expires; its release counts as a use. Pure: time only from the
/// injected <see cref="TimeProvider"/>; not thread-safe (a grain calls it from its turns).
/// </summary>
public sealed class KeepAlive(TimeProvider time)
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many entries are tracked.</summary>
    public int Count => _entries.Count;

    /// <summary>Tracks <paramref name="key"/> (replacing an earlier entry), used now, not held.</summary>
    /// <param name="key">The entry (a model name).</param>
    /// <param name="keepAlive">How long it may go unused; null for never expiring.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepAlive"/> is not positive.</exception>
    public void Track(string key, TimeSpan? keepAlive)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (keepAlive is { } span) ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(keepAlive));
        _entries[key] = new Entry(keepAlive, time.GetUtcNow());
    }

    /// <summary>Marks <paramref name="key"/> used now (renews its keep-alive); false when it is not tracked.</summary>
    public bool Touch(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return false;
        entry.LastUsed = time.GetUtcNow();
        return true;
    }

    /// <summary>Holds <paramref name="key"/> in use: it does not expire until <see cref="Release"/>. False when it is not tracked.</summary>
    public bool Hold(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return false;
        entry.Held = true;
        return true;
    }

    /// <summary>Ends a <see cref="Hold"/>; the release counts as a use. False when it is not tracked or not held.</summary>
    public bool Release(string key)
    {
        if (!_entries.TryGetValue(key, out var entry) || !entry.Held) return false;
        entry.Held = false;
        entry.LastUsed = time.GetUtcNow();
        return true;
    }

    /// <summary>Stops tracking <paramref name="key"/>; false when it was not tracked.</summary>
    public bool Forget(string key) => _entries.Remove(key);

    /// <summary>When <paramref name="key"/> expires if unused meanwhile; null when it never does (no keep-alive, held, or not tracked).</summary>
    public DateTimeOffset? ExpiresAt(string key) =>
        _entries.TryGetValue(key, out var entry) && !entry.Held && entry.KeepAlive is { } keepAlive ? entry.LastUsed + keepAlive : null;

    /// <summary>The entries expired now, to drop (ordinal order). They stay tracked until <see cref="Forget"/>.</summary>
    public IReadOnlyList<string> Expired()
    {
        var now = time.GetUtcNow();
        return [.. _entries.Keys.Where(k => ExpiresAt(k) <= now).Order(StringComparer.Ordinal)];
    }

    private sealed class Entry(TimeSpan? keepAlive, DateTimeOffset lastUsed)
    {
        public TimeSpan? KeepAlive { get; } = keepAlive;
        public DateTimeOffset LastUsed { get; set; } = lastUsed;
        public bool Held { get; set; }
    }
}
