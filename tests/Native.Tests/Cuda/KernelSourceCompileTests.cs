using System.Text;
using System.Text.RegularExpressions;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Kernels;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>
/// The backend's whole kernel source compiles with NVRTC, with the backend's own options, for the architectures we
/// serve on (A100, H100/H200), every entry point the backend resolves is in the image, and none spills registers. CI
/// installs Debian's NVRTC (11.8, which needs no GPU) and requires it; elsewhere, without NVRTC, they skip, saying why.
/// </summary>
public sealed class KernelSourceCompileTests
{
    [SkippableTheory]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void The_kernel_source_compiles_and_exports_every_entry_point(string arch)
    {
        RequireNvrtc();
        byte[] cubin = Nvrtc.CompileToCubin(KernelSource.Text, KernelSource.ProgramName, arch, KernelSource.Options);
        
        var symbols = ElfSymbols.Of(cubin);
        Assert.All(KernelSource.EntryPoints, name => Assert.Contains(name, symbols));
        // extern "C": no mangled kernel names, so cuModuleGetFunction finds them by their plain names.
        Assert.DoesNotContain(symbols, s => s.StartsWith("_Z", StringComparison.Ordinal) && KernelSource.EntryPoints.Any(e => s.Contains(e, StringComparison.Ordinal)));
    }

    [SkippableFact]
    public void No_kernel_spills_registers_to_local_memory_on_sm_90()
    {
        RequireNvrtc();
        var output = Nvrtc.Compile(KernelSource.Text, KernelSource.ProgramName, "sm_90", [.. KernelSource.Options, "--ptxas-options=-v"]);
        // ptxas prints, per entry: "Compiling entry function 'NAME' for 'sm_90'", then "N bytes stack frame, N bytes
        // spill stores, N bytes spill loads", then "Used N registers".
        var entries = Regex.Matches(output.Log, @"Compiling entry function '(\w+)'.*?(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads.*?Used (\d+) registers", RegexOptions.Singleline);
        var figures = entries.ToDictionary(m => m.Groups[1].Value, m => (Stack: int.Parse(m.Groups[2].Value), Stores: int.Parse(m.Groups[3].Value), Loads: int.Parse(m.Groups[4].Value), Registers: int.Parse(m.Groups[5].Value)));
        Assert.Equal(KernelSource.EntryPoints.Order(), figures.Keys.Order());
        Assert.All(figures, pair => Assert.True(pair.Value is { Stack: 0, Stores: 0, Loads: 0 }, $"{pair.Key} spills: {pair.Value}"));
        // attention_prefill keeps 32 queries' state in registers for 128 threads: at most 255 each, or ptxas would spill.
        Assert.All(figures, pair => Assert.InRange(pair.Value.Registers, 1, 255));
    }

    [SkippableFact]
    public void A_mistake_in_a_kernel_is_reported_with_the_line_and_the_program_name()
    {
        RequireNvrtc();
        string broken = KernelSource.Text.Replace("float m_new = fmaxf(m, tile_max);", "float m_new = fmaxf(m, tile_maximum);", StringComparison.Ordinal);
        Assert.NotEqual(KernelSource.Text, broken);
        var error = Assert.Throws<NvrtcCompileException>(() => Nvrtc.CompileToCubin(broken, KernelSource.ProgramName, "sm_90", KernelSource.Options));
        Assert.Contains(KernelSource.ProgramName, error.Log);
        Assert.Contains("tile_maximum", error.Log);
    }

    /// <summary>
    /// Skips the test when NVRTC is not here. .ci/run installs it and sets BLITZSCALE_REQUIRE_NVRTC=1, so on CI its
    /// absence fails these tests instead of skipping them.
    /// </summary>
    private static void RequireNvrtc()
    {
        if (Nvrtc.IsAvailable(out string reason)) return;
        Assert.StartsWith("NVRTC unavailable: ", reason);
        if (Environment.GetEnvironmentVariable("BLITZSCALE_REQUIRE_NVRTC") == "1") Assert.Fail($"BLITZSCALE_REQUIRE_NVRTC=1 but {reason}");
        Skip.If(true, reason);
    }

    /// <summary>The names in an ELF64 image's symbol tables (a cubin is an ELF file).</summary>
    private static class ElfSymbols
    {
        public static HashSet<string> Of(byte[] elf)
        {
            Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2 }, elf.AsSpan(0, 5).ToArray());
            long sectionTable = BitConverter.ToInt64(elf, 0x28);
            int entrySize = BitConverter.ToUInt16(elf, 0x3a), count = BitConverter.ToUInt16(elf, 0x3c);
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                int header = checked((int)(sectionTable + (long)i * entrySize));
                uint type = BitConverter.ToUInt32(elf, header + 4);
                if (type != 2) continue; // SHT_SYMTAB
                long offset = BitConverter.ToInt64(elf, header + 0x18), size = BitConverter.ToInt64(elf, header + 0x20);
                int link = BitConverter.ToInt32(elf, header + 0x28);
                long symbolSize = BitConverter.ToInt64(elf, header + 0x38);
                int strings = checked((int)(sectionTable + (long)link * entrySize));
                long stringsOffset = BitConverter.ToInt64(elf, strings + 0x18);
                for (long s = offset; s < offset + size; s += symbolSize)
                {
                    int nameOffset = BitConverter.ToInt32(elf, (int)s);
                    int start = checked((int)(stringsOffset + nameOffset)), end = Array.IndexOf(elf, (byte)0, start);
                    if (end > start) names.Add(Encoding.ASCII.GetString(elf, start, end - start));
                }
            }
            return names;
        }
    }
}
