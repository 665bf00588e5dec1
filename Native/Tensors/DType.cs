namespace BlitzScale.Native.Tensors;

/// <summary>Element types of stored tensors. Computation is always in f32.</summary>
public enum DType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16.</summary>
    F16,
    /// <summary>bfloat16: the upper half of a binary32.</summary>
    BF16,
}

/// <summary>Sizes and names of <see cref="DType"/> values.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.F16 => 2,
        DType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The name safetensors uses ("F32", "F16", "BF16").</summary>
    public static string SafetensorsName(this DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>Parses a safetensors dtype name; false for names we do not compute with (I8, F64, …).</summary>
    public static bool TryParseSafetensors(string name, out DType dtype)
    {
        switch (name)
        {
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Parses a user-facing name: f32/float32, f16/float16, bf16/bfloat16 (case-insensitive).</summary>
    public static DType Parse(string name) => name.ToLowerInvariant() switch
    {
        "f32" or "float32" or "fp32" => DType.F32,
        "f16" or "float16" or "fp16" or "half" => DType.F16,
        "bf16" or "bfloat16" => DType.BF16,
        _ => throw new ArgumentException($"unknown dtype '{name}': expected f32, f16 or bf16", nameof(name)),
    };

    /// <summary>The user-facing lower-case name.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };
}
