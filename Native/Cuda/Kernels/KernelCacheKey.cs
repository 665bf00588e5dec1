using System.Security.Cryptography;
using System.Text;

namespace BlitzScale.Native.Cuda.Kernels;

/// <summary>
/// Names a compiled kernel image by what determines its bytes: the source, the architecture and the compiler options.
/// Any change to one of them gives another name, so a stale cubin is never loaded.
/// </summary>
internal readonly record struct KernelCacheKey(string Hash, string Arch)
{
    /// <summary>The file the cubin is kept in, e.g. <c>sm_90-1f3a….cubin</c>.</summary>
    public string FileName => $"{Arch}-{Hash}.cubin";

    /// <summary>The key of <paramref name="source"/> compiled for <paramref name="arch"/> with <paramref name="options"/>.</summary>
    public static KernelCacheKey Of(string source, string arch, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(arch);
        ArgumentNullException.ThrowIfNull(options);
        // Parts are separated by a NUL, which none of them contains, so ("ab", "c") and ("a", "bc") differ.
        var text = new StringBuilder(source.Length + 64).Append(source).Append('\0').Append(arch);
        foreach (string option in options) text.Append('\0').Append(option);
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return new KernelCacheKey(Convert.ToHexStringLower(digest.AsSpan(0, 16)), arch);
    }
}
