namespace BlitzScale.Native.Safetensors;

/// <summary>Where a file's data section lies, for turning header offsets into absolute ones and checking them.</summary>
/// <param name="Path">The file, for error messages.</param>
/// <param name="DataStart">Absolute offset of the first data byte: prefix plus header.</param>
/// <param name="DataLength">Bytes from <paramref name="DataStart"/> to the end of the file.</param>
/// <param name="FileLength">Size of the whole file.</param>
internal readonly record struct DataLayout(string Path, long DataStart, long DataLength, long FileLength);
