namespace BlitzScale.Cli.Commands;

/// <summary>The grid name of a model: given with --name, else the last segment of its directory.</summary>
internal static class ModelNames
{
    public static string For(string directory, string? name = null)
    {
        string model = name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        if (string.IsNullOrWhiteSpace(model) || model.Contains('/'))
            throw new ArgumentException($"model name \"{model}\": expected a non-empty name without '/'");
        return model;
    }
}
