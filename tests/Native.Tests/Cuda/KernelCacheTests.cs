using BlitzScale.Native.Cuda.Kernels;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>Compiled kernels are named by source, architecture and options, and compiled once per name.</summary>
public sealed class KernelCacheTests
{
    [Fact]
    public void Same_source_arch_and_options_give_the_same_key()
    {
        var a = KernelCacheKey.Of("extern \"C\" __global__ void k() {}", "sm_90", ["-std=c++17"]);
        var b = KernelCacheKey.Of("extern \"C\" __global__ void k() {}", "sm_90", ["-std=c++17"]);
        Assert.Equal(a, b);
        Assert.Equal(a.FileName, b.FileName);
        Assert.Matches("^sm_90-[0-9a-f]{32}\\.cubin$", a.FileName);
    }

    [Fact]
    public void Any_difference_gives_another_key()
    {
        var baseline = KernelCacheKey.Of("source", "sm_90", ["-std=c++17"]);
        KernelCacheKey[] others =
        [
            KernelCacheKey.Of("source ", "sm_90", ["-std=c++17"]),
            KernelCacheKey.Of("source", "sm_80", ["-std=c++17"]),
            KernelCacheKey.Of("source", "sm_90", ["-std=c++20"]),
            KernelCacheKey.Of("source", "sm_90", []),
            // Where one part ends and the next begins matters too.
            KernelCacheKey.Of("sourc", "esm_90", ["-std=c++17"]),
        ];
        Assert.All(others, other => Assert.NotEqual(baseline.Hash, other.Hash));
        Assert.Equal(others.Length, others.Select(o => o.FileName).Distinct().Count());
    }

    [Fact]
    public void The_real_kernel_source_has_a_stable_key()
    {
        var key = KernelCacheKey.Of(KernelSource.Text, "sm_90", KernelSource.Options);
        Assert.Equal(key, KernelCacheKey.Of(KernelSource.Text, "sm_90", KernelSource.Options));
        Assert.NotEqual(key, KernelCacheKey.Of(KernelSource.Text, "sm_100", KernelSource.Options));
    }

    [Fact]
    public void Compiles_once_then_reads_the_file()
    {
        using var directory = new TempDirectory();
        var cache = new KernelCache(Path.Combine(directory.Path, "cuda-kernels"));
        var key = KernelCacheKey.Of("src", "sm_90", []);
        int compiles = 0;
        byte[] Compile() { compiles++; return [1, 2, 3]; }

        Assert.Equal(new byte[] { 1, 2, 3 }, cache.GetOrCompile(key, Compile, out bool firstHit));
        Assert.False(firstHit);
        Assert.Equal(new byte[] { 1, 2, 3 }, cache.GetOrCompile(key, Compile, out bool secondHit));
        Assert.True(secondHit);
        Assert.Equal(1, compiles);
        Assert.True(File.Exists(Path.Combine(cache.Directory, key.FileName)));
        Assert.Single(Directory.GetFiles(cache.Directory));
    }

    [Fact]
    public void An_empty_file_is_compiled_again_and_an_empty_image_is_refused()
    {
        using var directory = new TempDirectory();
        var cache = new KernelCache(directory.Path);
        var key = KernelCacheKey.Of("src", "sm_90", []);
        File.WriteAllBytes(Path.Combine(directory.Path, key.FileName), []);
        Assert.Equal(new byte[] { 9 }, cache.GetOrCompile(key, () => [9], out bool hit));
        Assert.False(hit);

        var other = KernelCacheKey.Of("other", "sm_90", []);
        var error = Assert.Throws<InvalidOperationException>(() => cache.GetOrCompile(other, () => [], out _));
        Assert.Contains(other.FileName, error.Message);
    }

    [Fact]
    public void The_default_directory_follows_BLITZSCALE_CACHE()
    {
        string? previous = Environment.GetEnvironmentVariable("BLITZSCALE_CACHE");
        try
        {
            Environment.SetEnvironmentVariable("BLITZSCALE_CACHE", "/tmp/blitz-cache-test");
            Assert.Equal("/tmp/blitz-cache-test/cuda-kernels", KernelCache.DefaultDirectory);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BLITZSCALE_CACHE", previous);
        }
    }
}
