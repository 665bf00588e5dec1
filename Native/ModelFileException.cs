namespace BlitzScale.Native;

/// <summary>
/// A model file (weights, config, tokenizer) is missing, malformed or describes something unsupported.
/// The message names the file, the item in it and what was expected versus found.
/// </summary>
public class ModelFileException(string filePath, string message, Exception? inner = null)
    : IOException(message, inner)
{
    /// <summary>The file (or directory) that was wrong.</summary>
    public string FilePath { get; } = filePath;
}
