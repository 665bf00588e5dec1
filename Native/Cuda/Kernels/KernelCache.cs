using BlitzScale.Native.Models.Synthetic;

namespace BlitzScale.Native.Cuda.Kernels;

/// <summary>
/// Compiled kernel images on disk under <c>$BLITZSCALE_CACHE/cuda-kernels</c> (else the synthetic-model cache root's
/// sibling, <c>~/.cache/blitzscale/cuda-kernels</c>), named by <see cref="KernelCacheKey"/>: NVRTC runs once per source,
/// architecture and option set (about a quarter of a second), not at every start.
/// </summary>
internal sealed class KernelCache(string directory)
{
    /// <summary>The default cache directory.</summary>
    public static string DefaultDirectory => Path.Combine(SyntheticModelCache.Root, "cuda-kernels");

    /// <summary>Where the images are kept.</summary>
    public string Directory { get; } = directory;

    /// <summary>
    /// The cached image of <paramref name="key"/>, or the output of <paramref name="compile"/>, stored for next time.
    /// <paramref name="hit"/> says which. An empty or unreadable file counts as absent.
    /// </summary>
    public byte[] GetOrCompile(KernelCacheKey key, Func<byte[]> compile, out bool hit)
    {
        ArgumentNullException.ThrowIfNull(compile);
        string path = Path.Combine(Directory, key.FileName);
        if (TryRead(path) is { Length: > 0 } cached)
        {
            hit = true;
            return cached;
        }
        hit = false;
        byte[] image = compile();
        if (image.Length == 0) throw new InvalidOperationException($"the kernel compiler returned an empty image for {key.FileName}");
        Store(path, image);
        return image;
    }

    private static byte[]? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Written beside the target and renamed, so a concurrent reader never sees half an image. A cache that cannot be
    // written only costs a recompile next time.
    private void Store(string path, byte[] image)
    {
        string staging = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            File.WriteAllBytes(staging, image);
            File.Move(staging, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(staging);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the staging file was never written or is gone.
            }
        }
    }
}
