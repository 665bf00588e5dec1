namespace BlitzScale.Native.Compute.Timed;

/// <summary>
/// The measured per-layer compute time of one model on one GPU (a row of <c>measurements/h200-layer-costs.jsonl</c>),
/// and the time of any step derived from it by piecewise-linear interpolation. Context length is not modelled: the
/// profile measures decode at one context length (<see cref="DecodeContext"/>, 1024 tokens), and every decode is
/// charged as if it had that context.
/// </summary>
public sealed class CostProfile
{
    internal CostProfile(string path, string model, long layerBytes, int layers, int decodeContext,
        IReadOnlyList<CostPoint> prefill, IReadOnlyList<CostPoint> decode, double? hostToDeviceGBps = null)
    {
        HostToDeviceGBps = hostToDeviceGBps;
        Path = path;
        Model = model;
        LayerBytes = layerBytes;
        Layers = layers;
        DecodeContext = decodeContext;
        PrefillPoints = prefill;
        DecodePoints = decode;
    }

    /// <summary>The file the profile was read from.</summary>
    public string Path { get; }
    /// <summary>The model's row name, e.g. <c>llama3-8b</c>.</summary>
    public string Model { get; }
    /// <summary>Bytes of one decoder layer in bf16 (<c>layer_bytes_bf16</c>).</summary>
    public long LayerBytes { get; }
    /// <summary>Decoder layers of the profiled model (<c>n_layers</c>).</summary>
    public int Layers { get; }
    /// <summary>
    /// The device's copy rate from pinned host memory into the GPU (the device row's <c>h2d_pinned_GBps</c>), GB/s; null when
    /// the file has no device row with it.
    /// </summary>
    public double? HostToDeviceGBps { get; }
    /// <summary>The cached tokens each decode point was measured with.</summary>
    public int DecodeContext { get; }
    /// <summary>Prefill of one sequence: (tokens, ms per layer), ascending; the first is one token, measured as a decode of one.</summary>
    public IReadOnlyList<CostPoint> PrefillPoints { get; }
    /// <summary>Decode of one token each: (sequences, ms per layer), ascending.</summary>
    public IReadOnlyList<CostPoint> DecodePoints { get; }

    /// <summary>Reads the row named <paramref name="model"/> from a JSON-lines profile file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">A line is not a JSON object, or the row lacks a field or has a bad value (names file, line and field).</exception>
    /// <exception cref="KeyNotFoundException">No row has that model; the message lists the models the file has.</exception>
    public static CostProfile Load(string path, string model) => CostProfileReader.Load(path, model);

    /// <summary>The model names the file's rows have, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">A line is not a JSON object.</exception>
    public static IReadOnlyList<string> ModelsIn(string path) => CostProfileReader.Models(path);

    /// <summary>Per-layer time of a prefill of <paramref name="tokens"/> tokens of one sequence, in ms (0 for none).</summary>
    public double PrefillLayerMilliseconds(int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return tokens == 0 ? 0 : PiecewiseLinear.At(PrefillPoints, tokens);
    }

    /// <summary>Per-layer time of a decode step of <paramref name="sequences"/> sequences, one token each, in ms (0 for none).</summary>
    public double DecodeLayerMilliseconds(int sequences)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequences);
        return sequences == 0 ? 0 : PiecewiseLinear.At(DecodePoints, sequences);
    }

    /// <summary>
    /// Per-layer time of a step with <paramref name="prefillTokens"/> prefill tokens and <paramref name="decodes"/> decode
    /// sequences, in ms: a mixed step runs its GEMMs over all its tokens, so it costs a prefill of all of them; a step
    /// without prefill tokens costs a decode.
    /// </summary>
    public double LayerMilliseconds(int prefillTokens, int decodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefillTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(decodes);
        return prefillTokens == 0 ? DecodeLayerMilliseconds(decodes) : PrefillLayerMilliseconds(prefillTokens + decodes);
    }

    /// <summary>
    /// Per-layer time of a step whose segments have <paramref name="segmentTokens"/> tokens each, in ms: a segment of one
    /// token is a decode, a longer one prefill tokens (the one rule the timed engine and any prediction of it use).
    /// </summary>
    public double LayerMilliseconds(IEnumerable<int> segmentTokens)
    {
        ArgumentNullException.ThrowIfNull(segmentTokens);
        int prefillTokens = 0, decodes = 0;
        foreach (int count in segmentTokens)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count, nameof(segmentTokens));
            if (count == 1) decodes++;
            else prefillTokens += count;
        }
        return LayerMilliseconds(prefillTokens, decodes);
    }

    /// <summary>Seconds a step takes over <paramref name="layers"/> layers, stretched by the time dilation.</summary>
    public double StepSeconds(int layers, int prefillTokens, int decodes, double dilation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        TimeDilation.ThrowIfInvalid(dilation, nameof(dilation));
        return LayerMilliseconds(prefillTokens, decodes) * layers * dilation / 1e3;
    }

    /// <summary>Seconds a step whose segments have <paramref name="segmentTokens"/> tokens each takes over <paramref name="layers"/> layers, stretched by the time dilation.</summary>
    public double StepSeconds(int layers, IEnumerable<int> segmentTokens, double dilation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        TimeDilation.ThrowIfInvalid(dilation, nameof(dilation));
        return LayerMilliseconds(segmentTokens) * layers * dilation / 1e3;
    }

    /// <summary>Prefill throughput of back-to-back prefills of <paramref name="tokens"/> tokens over <paramref name="layers"/> layers, in tokens/s.</summary>
    public double PrefillTokensPerSecond(int layers, int tokens, double dilation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokens);
        return tokens / StepSeconds(layers, tokens, 0, dilation);
    }

    /// <summary>Decode throughput of back-to-back steps of <paramref name="batch"/> sequences over <paramref name="layers"/> layers, in tokens/s.</summary>
    public double DecodeTokensPerSecond(int layers, int batch, double dilation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        return batch / StepSeconds(layers, 0, batch, dilation);
    }

    /// <summary>One line for status and reports, e.g. <c>profile llama3-8b from FILE</c>.</summary>
    public override string ToString() => $"profile {Model} from {Path}";
}
