using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Safetensors;

/// <summary>Lays tensors out contiguously in spec order and encodes the header that describes them.</summary>
internal static class SafetensorsHeaderWriter
{
    // Keeps non-ASCII names readable in the file; the JSON is still valid and escaped where JSON requires it.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The header JSON, padded with spaces so the data starts 8-byte aligned, as the reference writer does.</summary>
    /// <param name="ends">Cumulative end of each tensor within the data section.</param>
    public static byte[] Build(IReadOnlyList<TensorSpec> specs, IReadOnlyDictionary<string, string>? metadata, out long[] ends)
    {
        ends = Layout(specs);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
                WriteMetadata(json, metadata);
            long begin = 0;
            for (int i = 0; i < specs.Count; i++)
            {
                WriteTensor(json, specs[i], begin, ends[i]);
                begin = ends[i];
            }
            json.WriteEndObject();
        }
        int padding = (SafetensorsHeader.PrefixLength - buffer.WrittenCount % SafetensorsHeader.PrefixLength) % SafetensorsHeader.PrefixLength;
        buffer.GetSpan(padding)[..padding].Fill((byte)' ');
        buffer.Advance(padding);
        if (buffer.WrittenCount > SafetensorsHeader.MaxLength)
            throw new ArgumentException($"header would be {buffer.WrittenCount} bytes, over the {SafetensorsHeader.MaxLength}-byte limit readers enforce");
        return buffer.WrittenSpan.ToArray();
    }

    private static long[] Layout(IReadOnlyList<TensorSpec> specs)
    {
        var ends = new long[specs.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        long end = 0;
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = specs[i] ?? throw new ArgumentException($"tensor spec {i} is null", nameof(specs));
            if (string.IsNullOrEmpty(spec.Name) || spec.Name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"tensor spec {i} has name \"{spec.Name}\": expected a non-empty name other than {SafetensorsHeader.MetadataKey}", nameof(specs));
            if (!names.Add(spec.Name))
                throw new ArgumentException($"tensor \"{spec.Name}\" is specified twice", nameof(specs));
            for (int d = 0; d < spec.Shape.Count; d++)
            {
                if (spec.Shape[d] < 0)
                    throw new ArgumentException($"tensor \"{spec.Name}\": shape {Shapes.Format(spec.Shape)} has a negative dimension", nameof(specs));
            }
            end = checked(end + spec.ByteLength);
            ends[i] = end;
        }
        return ends;
    }

    private static void WriteMetadata(Utf8JsonWriter json, IReadOnlyDictionary<string, string> metadata)
    {
        json.WriteStartObject(SafetensorsHeader.MetadataKey);
        foreach (var (key, value) in metadata)
            json.WriteString(key, value);
        json.WriteEndObject();
    }

    private static void WriteTensor(Utf8JsonWriter json, TensorSpec spec, long begin, long end)
    {
        json.WriteStartObject(spec.Name);
        json.WriteString("dtype", spec.DType.SafetensorsName());
        json.WriteStartArray("shape");
        for (int d = 0; d < spec.Shape.Count; d++)
            json.WriteNumberValue(spec.Shape[d]);
        json.WriteEndArray();
        json.WriteStartArray("data_offsets");
        json.WriteNumberValue(begin);
        json.WriteNumberValue(end);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
