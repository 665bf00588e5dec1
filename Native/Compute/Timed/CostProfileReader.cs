using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BlitzScale.Native.Compute.Timed;

/// <summary>
/// Reads cost profiles: one JSON object a line; rows with a <c>"model"</c> are models, others (the device row) are
/// skipped. Points are found by field name, so a profile measured at other sizes needs no code change.
/// </summary>
internal static partial class CostProfileReader
{
    private const string ModelField = "model";
    private const string LayerBytesField = "layer_bytes_bf16";
    private const string LayersField = "n_layers";
    private const string HostToDeviceField = "h2d_pinned_GBps";

    [GeneratedRegex(@"^prefill_T(\d+)_ms$", RegexOptions.CultureInvariant)]
    private static partial Regex PrefillField();

    [GeneratedRegex(@"^decode_B(\d+)_ctx(\d+)_ms$", RegexOptions.CultureInvariant)]
    private static partial Regex DecodeField();

    public static CostProfile Load(string path, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        (int Line, JsonElement Row)? found = null;
        var models = new List<string>();
        double? hostToDevice = null;
        foreach (var (line, row) in Rows(path))
        {
            if (ModelOf(path, line, row) is not { } name)
            {
                hostToDevice ??= HostToDevice(path, line, row);
                continue;
            }
            models.Add(name);
            if (name != model) continue;
            if (found is { } first)
                throw new FormatException($"{path}, line {line}: model \"{model}\" appears again (first on line {first.Line})");
            found = (line, row);
        }
        if (models.Count == 0)
            throw new FormatException($"{path}: expected JSON lines with a \"{ModelField}\" field, found no model rows");
        if (found is not { } hit)
            throw new KeyNotFoundException($"{path}: no row with \"{ModelField}\": \"{model}\"; the file has {string.Join(", ", models)}");
        return Parse(path, hit.Line, model, hit.Row, hostToDevice);
    }

    // The device row's host-to-GPU rate from pinned memory, when it has one.
    private static double? HostToDevice(string path, int line, JsonElement row)
    {
        if (!row.TryGetProperty(HostToDeviceField, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double rate) || !(rate > 0) || !double.IsFinite(rate))
            throw FieldError(path, line, HostToDeviceField, "a positive rate in GB/s", value.GetRawText());
        return rate;
    }

    public static IReadOnlyList<string> Models(string path)
    {
        var models = new List<string>();
        foreach (var (line, row) in Rows(path))
        {
            if (ModelOf(path, line, row) is { } name) models.Add(name);
        }
        return models;
    }

    /// <summary>The file's JSON objects with their 1-based line numbers; blank lines are skipped.</summary>
    private static IEnumerable<(int Line, JsonElement Row)> Rows(string path)
    {
        int number = 0;
        foreach (string text in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonElement row;
            try
            {
                using var document = JsonDocument.Parse(text);
                row = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}, line {number}: expected a JSON object, found malformed JSON ({e.Message})", e);
            }
            if (row.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{path}, line {number}: expected a JSON object, found {row.ValueKind}");
            yield return (number, row);
        }
        if (number == 0)
            throw new FormatException($"{path}: expected JSON lines with a \"{ModelField}\" field, found an empty file");
    }

    private static string? ModelOf(string path, int line, JsonElement row)
    {
        if (!row.TryGetProperty(ModelField, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
            throw FieldError(path, line, ModelField, "a model name", value.GetRawText());
        return value.GetString();
    }

    private static CostProfile Parse(string path, int line, string model, JsonElement row, double? hostToDeviceGBps)
    {
        long layerBytes = PositiveLong(path, line, row, LayerBytesField);
        long layers = PositiveLong(path, line, row, LayersField);
        if (layers > int.MaxValue) throw FieldError(path, line, LayersField, "a layer count", layers.ToString(CultureInfo.InvariantCulture));

        var prefill = new SortedDictionary<int, double>();
        var decode = new SortedDictionary<int, double>();
        (int Context, string Field)? context = null;
        foreach (var property in row.EnumerateObject())
        {
            if (PrefillField().Match(property.Name) is { Success: true } p)
            {
                prefill[Size(path, line, property.Name, p.Groups[1].Value)] = Milliseconds(path, line, property);
            }
            else if (DecodeField().Match(property.Name) is { Success: true } d)
            {
                int ctx = Size(path, line, property.Name, d.Groups[2].Value);
                if (context is { } seen && seen.Context != ctx)
                    throw new FormatException($"{path}, line {line}: field \"{property.Name}\": expected decode points at one context length, " +
                        $"found ctx{ctx} beside ctx{seen.Context} (\"{seen.Field}\"); context length is not modelled");
                context ??= (ctx, property.Name);
                decode[Size(path, line, property.Name, d.Groups[1].Value)] = Milliseconds(path, line, property);
            }
        }

        string one = $"decode_B1_ctx{context?.Context ?? 1024}_ms";
        if (!decode.TryGetValue(1, out double single))
            throw new FormatException($"{path}, line {line}: field \"{one}\" is missing: expected the per-layer ms of a decode of one sequence (it anchors prefill at one token)");
        if (decode.Count < 2)
            throw new FormatException($"{path}, line {line}: expected at least two decode_B{{b}}_ctx{{c}}_ms fields, found {decode.Count} ({one})");
        if (prefill.Count == 0)
            throw new FormatException($"{path}, line {line}: field \"prefill_T{{n}}_ms\" is missing: expected at least one prefill point");
        // A prefill of one token is a decode of one sequence: that is the curve's first point unless measured directly.
        prefill.TryAdd(1, single);

        return new CostProfile(path, model, layerBytes, (int)layers, context!.Value.Context,
            [.. prefill.Select(kv => new CostPoint(kv.Key, kv.Value))],
            [.. decode.Select(kv => new CostPoint(kv.Key, kv.Value))], hostToDeviceGBps);
    }

    private static int Size(string path, int line, string field, string digits)
    {
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new FormatException($"{path}, line {line}: field \"{field}\": expected a size from 1 to {int.MaxValue} in its name, found {digits}");
        return n;
    }

    private static double Milliseconds(string path, int line, JsonProperty property)
    {
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double ms) || !(ms > 0) || !double.IsFinite(ms))
            throw FieldError(path, line, property.Name, "a positive number of milliseconds", value.GetRawText());
        return ms;
    }

    private static long PositiveLong(string path, int line, JsonElement row, string field)
    {
        if (!row.TryGetProperty(field, out var value))
            throw new FormatException($"{path}, line {line}: field \"{field}\" is missing: expected a positive integer");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long n) || n <= 0)
            throw FieldError(path, line, field, "a positive integer", value.GetRawText());
        return n;
    }

    private static FormatException FieldError(string path, int line, string field, string expected, string found) =>
        new($"{path}, line {line}: field \"{field}\": expected {expected}, found {found}");
}
