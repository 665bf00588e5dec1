using System.Globalization;
using BlitzScale.Native.Engine;
using BlitzScale.Native.Models;
using BlitzScale.Native.Models.Image;

namespace BlitzScale.Native.Compute.Timed;

/// <summary>
/// The timed backend: an emulated GPU. Its parameter image is real (the data plane fills it, and layers count as
/// loaded by the same prefix rule as the other backends), but it does no math: a step takes the time the cost profile
/// gives for it, stretched by the time dilation, spent blocked (never spinning), and its tokens are deterministic
/// pseudo-tokens that depend only on the sequence's tokens and positions (never BOS or EOS, so a request runs to its
/// token limit).
/// </summary>
/// <remarks>
/// <para><b>Time.</b> <see cref="RunLayers"/> charges each group of segments that share a layer range
/// <c>profile.LayerMilliseconds(prefill tokens, decodes) × layers × dilation</c> (a segment of one token is a decode,
/// a longer one prefill tokens), then blocks the calling thread, as a stream sync would, until the sum has passed since
/// the call began on the engine's <see cref="TimeProvider"/>. Embed and head are not in the profile and are free.
/// Context length is not modelled (see <see cref="CostProfile"/>).</para>
/// <para><b>Memory.</b> The KV store is only a shape (accounted by the host as for any backend): no keys or values
/// exist, since no attention runs.</para>
/// </remarks>
public sealed class TimedEngine : ILayerEngine
{
    private readonly ParameterImage _image;
    private readonly TimeProvider _time;
    private readonly Action<TimeSpan> _wait;
    private readonly int[] _specials;
    private long _steps, _busyTicks;
    private bool _disposed;

    /// <summary>An emulated GPU over a (possibly partly loaded) image, charging <paramref name="profile"/>'s times × <paramref name="dilation"/>.</summary>
    /// <param name="image">The parameter image the data plane fills; owned by the caller.</param>
    /// <param name="kv">The KV store's shape (nothing is allocated for it).</param>
    /// <param name="profile">The per-layer compute times.</param>
    /// <param name="dilation">The time dilation D (positive): every charged time is multiplied by it.</param>
    /// <param name="time">The clock deadlines are measured on; the system clock when null.</param>
    /// <param name="wait">Blocks for the span left to a step's deadline; a precise sleep when null. Tests on a fake clock pass one that records and advances it.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dilation is not positive and finite, or the model has fewer than 2 hidden units or no ordinary token.</exception>
    public TimedEngine(ParameterImage image, KvStoreShape kv, CostProfile profile, double dilation, TimeProvider? time = null, Action<TimeSpan>? wait = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(profile);
        TimeDilation.ThrowIfInvalid(dilation, nameof(dilation));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kv.Blocks, nameof(kv));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kv.BlockSize, nameof(kv));
        var config = image.Layout.Config;
        // Row[0] and row[1] carry the pseudo-token; the head needs a token above the special ones.
        ArgumentOutOfRangeException.ThrowIfLessThan(config.HiddenSize, 2, nameof(image));
        _specials = PseudoTokens.Specials(config.BosTokenId, config.EosTokenId, config.VocabSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.VocabSize, PseudoTokens.FirstToken + _specials.Length + 1, nameof(image));
        _image = image;
        Config = config;
        KvShape = kv;
        Profile = profile;
        Dilation = dilation;
        _time = time ?? TimeProvider.System;
        _wait = wait ?? PreciseSleep.For;
    }

    /// <inheritdoc/>
    public LlamaConfig Config { get; }

    /// <inheritdoc/>
    public int LoadedLayers => _image.LoadedLayerPrefix;

    /// <inheritdoc/>
    public int LoadedSuffixFrom => _image.LoadedLayerSuffix;

    /// <inheritdoc/>
    public KvStoreShape KvShape { get; }

    /// <summary>The cost profile charged.</summary>
    public CostProfile Profile { get; }

    /// <summary>The time dilation D.</summary>
    public double Dilation { get; }

    /// <summary>Steps that ran at least one layer.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>Emulated compute time charged so far (dilated), the device's busy time.</summary>
    public TimeSpan BusyTime => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    /// <summary>What this backend is, for status and reports.</summary>
    public string Describe() => Describe(Profile, Dilation);

    /// <summary>
    /// What a timed backend with <paramref name="profile"/> and <paramref name="dilation"/> is, for status and reports:
    /// <c>timed (emulated): profile llama3-8b from FILE, dilation D</c>.
    /// </summary>
    public static string Describe(CostProfile profile, double dilation)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return string.Create(CultureInfo.InvariantCulture, $"timed (emulated): {profile}, dilation {dilation:0.###}");
    }

    /// <summary>The time a batch is charged: each layer group's step over its layers, dilated.</summary>
    /// <exception cref="ArgumentException">A segment's range is beyond the model or the loaded layers, or its blocks do not fit the store.</exception>
    public TimeSpan Charge(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Charge(LayerGroups.Of(batch, batch.TokenCount, Config.HiddenSize, Config, LoadedLayers, LoadedSuffixFrom, KvShape));
    }

    /// <summary>No keys or values exist here (no attention runs), so the slice reads as zeros: its bytes still travel at their size.</summary>
    /// <inheritdoc/>
    public void ReadKv(IReadOnlyList<int> blocks, KvSlice slice, Span<float> destination)
    {
        ThrowIfDisposed();
        slice.Check(Config, KvShape, blocks, destination.Length);
        destination.Clear();
    }

    /// <summary>Checks the slice and keeps nothing: no keys or values exist here.</summary>
    /// <inheritdoc/>
    public void WriteKv(IReadOnlyList<int> blocks, KvSlice slice, ReadOnlySpan<float> source)
    {
        ThrowIfDisposed();
        slice.Check(Config, KvShape, blocks, source.Length);
    }

    /// <inheritdoc/>
    public HiddenStates Embed(ReadOnlySpan<int> tokens)
    {
        ThrowIfDisposed();
        RequireBlob(_image.Layout.Embedding.Index, "the embedding");
        var hidden = new HiddenStates(tokens.Length, Config.HiddenSize);
        for (int t = 0; t < tokens.Length; t++)
        {
            if ((uint)tokens[t] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[t]} is outside the vocabulary of {Config.VocabSize}");
            hidden.Row(t)[0] = tokens[t];
        }
        return hidden;
    }

    /// <inheritdoc/>
    public void RunLayers(Batch batch, HiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ThrowIfDisposed();
        long start = _time.GetTimestamp();
        var groups = LayerGroups.Of(batch, hidden.Tokens, hidden.Width, Config, LoadedLayers, LoadedSuffixFrom, KvShape);
        if (groups.Count == 0) return;

        int row = 0;
        foreach (var s in batch.Segments)
        {
            for (int t = 0; t < s.Count; t++, row++)
            {
                var x = hidden.Row(row);
                for (int layer = s.FirstLayer; layer < s.EndLayer; layer++)
                    x[1] = PseudoTokens.Fold(x[1], x[0], s.Start + t, layer);
            }
        }

        var cost = Charge(groups);
        Interlocked.Increment(ref _steps);
        Interlocked.Add(ref _busyTicks, cost.Ticks);
        var left = cost - _time.GetElapsedTime(start);
        if (left > TimeSpan.Zero) _wait(left);
    }

    /// <inheritdoc/>
    public float[] Head(Batch batch, HiddenStates hidden)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(hidden);
        ThrowIfDisposed();
        RequireBlob(_image.Layout.Head.Index, "the final norm and head");
        if (hidden.Tokens != batch.TokenCount || hidden.Width != Config.HiddenSize)
            throw new ArgumentException($"hidden states are {hidden.Tokens}×{hidden.Width}, the batch needs {batch.TokenCount}×{Config.HiddenSize}", nameof(hidden));
        int vocab = Config.VocabSize;
        var logits = new float[batch.Segments.Count * vocab];
        int last = -1;
        for (int s = 0; s < batch.Segments.Count; s++)
        {
            last += batch.Segments[s].Count;
            logits[s * vocab + PseudoTokens.Token(hidden.Row(last)[1], vocab, _specials)] = 1;
        }
        return logits;
    }

    /// <summary>Nothing is held but the counters; the image belongs to the caller.</summary>
    public void Dispose() => _disposed = true;

    private TimeSpan Charge(IReadOnlyList<LayerGroup> groups)
    {
        double ms = 0;
        foreach (var group in groups)
            ms += Profile.LayerMilliseconds(group.Batch.Segments.Select(s => s.Count)) * (group.EndLayer - group.FirstLayer) * Dilation;
        return TimeSpan.FromMilliseconds(ms);
    }

    private void RequireBlob(int blob, string what)
    {
        if (!_image.IsLoaded(blob))
            throw new InvalidOperationException($"parameters of {what} (blob {blob}) have not arrived on this instance");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
