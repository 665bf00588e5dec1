namespace BlitzScale.Native.Tokenization;

/// <summary>A tokenizer file is missing, unsupported or malformed. The message starts with the file and says what was wrong.</summary>
public sealed class TokenizerException(string filePath, string message, Exception? innerException = null)
    : ModelFileException(filePath, $"{filePath}: {message}", innerException);
