namespace BlitzScale.Native.Safetensors;

/// <summary>The parsed, validated header of one safetensors file.</summary>
internal sealed class SafetensorsHeader(Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
{
    // The reference implementation refuses headers above this size; so do we, so that a corrupt length
    // prefix cannot make us copy gigabytes before failing.
    public const long MaxLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>Bytes in the length prefix that precedes the JSON.</summary>
    public const int PrefixLength = 8;

    public Dictionary<string, TensorInfo> Tensors { get; } = tensors;

    public Dictionary<string, string> Metadata { get; } = metadata;
}
