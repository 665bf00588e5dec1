using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Where a command's model comes from: <c>--model DIR</c>; else, for commands that produce text, the stories260K model
/// shipped beside blitz (so a bare clone's first <c>generate</c> speaks English); else, for shapes and benchmarks, a
/// seeded synthetic model of a known shape created once in the cache folder.
/// </summary>
internal static class ModelSource
{
    public const ulong DefaultSeed = 42;

    /// <summary>The shipped default model's name (its folder under <see cref="DefaultModelsFolder"/>).</summary>
    public const string DefaultModelName = "stories260K";

    /// <summary>The folder beside the blitz binary that the build copies the shipped models to.</summary>
    public const string DefaultModelsFolder = "DefaultModel";

    /// <summary>The shipped default model's directory beside the blitz binary.</summary>
    public static string DefaultModelDirectory => Path.Combine(AppContext.BaseDirectory, DefaultModelsFolder, DefaultModelName);

    /// <summary><paramref name="modelDirectory"/>, or else the shipped default model (saying so on stderr).</summary>
    public static string Resolve(string? modelDirectory)
    {
        if (modelDirectory is not null) return modelDirectory;
        string path = DefaultModelDirectory;
        if (!File.Exists(Path.Combine(path, "config.json")))
            throw new FileNotFoundException($"the default model is missing from {path} (it ships with blitz; rebuild, or pass --model DIR)");
        Console.Error.WriteLine($"blitz: no --model given: using the default model {DefaultModelName} (TinyStories, MIT; shipped with blitz) in {path}");
        return path;
    }

    /// <summary><paramref name="modelDirectory"/>, or else the seeded synthetic model of <paramref name="shape"/> (saying so on stderr).</summary>
    public static string Resolve(string? modelDirectory, string shape, DType dtype, ulong seed = DefaultSeed)
    {
        if (modelDirectory is not null) return modelDirectory;
        string path = SyntheticModelCache.GetOrCreate(shape, dtype, seed);
        Console.Error.WriteLine($"blitz: no --model given: using the synthetic {shape} model ({dtype.Name()}, seed {seed}) in {path}; its text is not language");
        return path;
    }
}
