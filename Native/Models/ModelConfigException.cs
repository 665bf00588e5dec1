namespace BlitzScale.Native.Models;

/// <summary>A model's config.json or generation_config.json is missing, malformed or describes an unsupported model.</summary>
public sealed class ModelConfigException(string filePath, string message)
    : ModelFileException(filePath, $"{filePath}: {message}");
