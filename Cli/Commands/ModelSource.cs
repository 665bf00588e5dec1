using BlitzScale.Native.Models.Synthetic;
using BlitzScale.Native.Tensors;

namespace BlitzScale.Cli.Commands;

/// <summary>
/// Where a command's model comes from: <c>--model DIR</c>, or else a seeded synthetic model of a known shape
/// created once in the cache folder (so every command works on a bare clone).
/// </summary>
internal static class ModelSource
{
    public const ulong DefaultSeed = 42;

    public static string Resolve(string? modelDirectory, string shape = SyntheticShapes.Default, DType dtype = DType.F32, ulong seed = DefaultSeed)
    {
        if (modelDirectory is not null) return modelDirectory;
        string path = SyntheticModelCache.GetOrCreate(shape, dtype, seed);
        Console.Error.WriteLine($"blitz: no --model given: using the synthetic {shape} model ({dtype.Name()}, seed {seed}) in {path}; its text is not language");
        return path;
    }
}
