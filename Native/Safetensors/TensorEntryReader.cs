using System.Text.Json;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Native.Safetensors;

/// <summary>Validates one tensor entry of a safetensors header: dtype, shape and data_offsets, and that they agree.</summary>
internal static class TensorEntryReader
{
    private static readonly string SupportedDTypes =
        string.Join(", ", Enum.GetValues<DType>().Select(d => d.SafetensorsName()));

    public static TensorInfo Read(string name, JsonElement entry, DataLayout layout)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw Fail(layout, name, $"expected an object with \"dtype\", \"shape\" and \"data_offsets\", found {Json.Describe(entry)}");
        var dtype = ReadDType(name, Field(name, entry, "dtype", layout), layout);
        long[] shape = ReadShape(name, Field(name, entry, "shape", layout), layout);
        (long begin, long end) = ReadOffsets(name, Field(name, entry, "data_offsets", layout), layout);

        long expected;
        try
        {
            expected = checked(Shapes.ElementCount(shape) * dtype.Size());
        }
        catch (OverflowException)
        {
            throw Fail(layout, name, $"shape {Shapes.Format(shape)} of {dtype.SafetensorsName()} has more bytes than fit in 64 bits");
        }
        if (expected != end - begin)
        {
            throw Fail(layout, name,
                $"shape {Shapes.Format(shape)} of {dtype.SafetensorsName()} needs {expected} bytes, "
                + $"but data_offsets [{begin}, {end}] span {end - begin} bytes");
        }
        return new TensorInfo(name, dtype, Array.AsReadOnly(shape), layout.DataStart + begin, end - begin);
    }

    private static JsonElement Field(string name, JsonElement entry, string field, DataLayout layout) =>
        entry.TryGetProperty(field, out var value)
            ? value
            : throw Fail(layout, name, $"missing \"{field}\": expected an object with \"dtype\", \"shape\" and \"data_offsets\"");

    private static DType ReadDType(string name, JsonElement value, DataLayout layout)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw Fail(layout, name, $"\"dtype\" must be a string such as \"F32\", found {Json.Describe(value)}");
        string text = value.GetString()!;
        if (!DTypes.TryParseSafetensors(text, out var dtype))
            throw Fail(layout, name, $"unsupported dtype \"{text}\": expected one of {SupportedDTypes}");
        return dtype;
    }

    private static long[] ReadShape(string name, JsonElement value, DataLayout layout)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Fail(layout, name, $"\"shape\" must be an array of non-negative integers, found {Json.Describe(value)}");
        var shape = new long[value.GetArrayLength()];
        for (int i = 0; i < shape.Length; i++)
        {
            var dim = value[i];
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out shape[i]) || shape[i] < 0)
                throw Fail(layout, name, $"\"shape\" dimension {i} must be a non-negative integer, found {Json.Describe(dim)}");
        }
        return shape;
    }

    private static (long Begin, long End) ReadOffsets(string name, JsonElement value, DataLayout layout)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2
            || !TryReadOffset(value[0], out long begin) || !TryReadOffset(value[1], out long end))
        {
            throw Fail(layout, name, $"\"data_offsets\" must be [begin, end], two non-negative integers, found {Json.Describe(value)}");
        }
        if (begin > end)
            throw Fail(layout, name, $"\"data_offsets\" [{begin}, {end}]: begin is after end");
        if (end > layout.DataLength)
        {
            throw Fail(layout, name,
                $"\"data_offsets\" [{begin}, {end}]: end is beyond the data section, which holds {layout.DataLength} bytes "
                + $"(file size {layout.FileLength} bytes, data starts at byte {layout.DataStart}); is the file truncated?");
        }
        return (begin, end);
    }

    private static bool TryReadOffset(JsonElement value, out long offset)
    {
        offset = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out offset) && offset >= 0;
    }

    private static SafetensorsException Fail(DataLayout layout, string name, string message) =>
        new(layout.Path, name, message);
}
