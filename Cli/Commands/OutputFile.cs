namespace BlitzScale.Cli.Commands;

/// <summary>
/// A file a command writes when it ends (<c>--json</c>, <c>--plot</c>). It is checked before the command starts, so a bench
/// of minutes does not end in an error that loses its report; and if writing still fails at the end, the report goes to a
/// file in the temporary folder and the error says where.
/// </summary>
internal static class OutputFile
{
    /// <summary>Checks that <paramref name="path"/> (given with <paramref name="option"/>) can be written; nothing when it is null.</summary>
    /// <exception cref="ArgumentException">The path is empty or not a path, names a folder, lies in a folder that does not exist or
    /// takes no new file, or names a read-only file.</exception>
    public static void Check(string? path, string option)
    {
        if (path is null) return;
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{option}: expected a file name, found \"{path}\"");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"{option} {path}: not a file path ({e.Message})");
        }
        if (Directory.Exists(full)) throw new ArgumentException($"{option} {path}: is a folder; expected a file name");
        string folder = Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(folder)) throw new ArgumentException($"{option} {path}: the folder {folder} does not exist");
        if (File.Exists(full) && File.GetAttributes(full).HasFlag(FileAttributes.ReadOnly)) throw new ArgumentException($"{option} {path}: the file is read-only");
        try
        {
            // A file of our own beside it, gone when closed: the folder takes new files (permissions, a read-only mount).
            using var probe = new FileStream(Path.Combine(folder, $".blitz-write-check-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1,
                FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{option} {path}: cannot write in {folder} ({e.Message})");
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/>. When that fails, writes it to a file in the temporary folder
    /// instead and throws an <see cref="IOException"/> that names both.
    /// </summary>
    public static async Task WriteAsync(string path, string text, string option)
    {
        try
        {
            await File.WriteAllTextAsync(path, text, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string fallback = Path.Combine(Path.GetTempPath(), $"blitz-{option.TrimStart('-')}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}{Path.GetExtension(path)}");
            await File.WriteAllTextAsync(fallback, text, CancellationToken.None);
            throw new IOException($"{option} {path}: {e.Message}; the report was written to {fallback} instead", e);
        }
    }
}
