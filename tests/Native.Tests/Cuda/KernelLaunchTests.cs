using System.Text.RegularExpressions;
using BlitzScale.Native.Cuda;
using BlitzScale.Native.Cuda.Kernels;

namespace BlitzScale.Native.Tests.Cuda;

/// <summary>Launch dimensions, argument packing and the kernel source's entry points, all without a device.</summary>
public sealed partial class KernelLaunchTests
{
    [Fact]
    public void Row_kernels_get_one_block_per_row()
    {
        var shape = LaunchDims.Rows(7);
        Assert.Equal((7u, 1u, 1u), shape.Grid);
        Assert.Equal(((uint)LaunchDims.BlockThreads, 1u, 1u), shape.Block);
        Assert.Equal(0, LaunchDims.BlockThreads % 32);
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchDims.Rows(0));
    }

    [Theory]
    [InlineData(1, 1u)]
    [InlineData(256, 1u)]
    [InlineData(257, 2u)]
    [InlineData(2048L * 4096, 32768u)]
    public void Flat_kernels_cover_every_element_with_whole_blocks(long elements, uint blocks)
    {
        var shape = LaunchDims.Flat(elements);
        Assert.Equal((blocks, 1u, 1u), shape.Grid);
        Assert.True((long)shape.Grid.X * shape.Block.X >= elements);
        Assert.True((long)(shape.Grid.X - 1) * shape.Block.X < elements);
    }

    [Fact]
    public void Per_row_kernels_put_rows_on_y_and_refuse_too_many()
    {
        Assert.Equal((56u, 2048u, 1u), LaunchDims.PerRow(14336, 2048).Grid);
        Assert.Equal((57u, 2048u, 1u), LaunchDims.PerRow(14337, 2048).Grid);
        Assert.Equal((1u, 3u, 1u), LaunchDims.PerRow(172, 3).Grid);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LaunchDims.PerRow(10, 70000));
        Assert.Contains("65535", error.Message);
    }

    [Fact]
    public void Attention_grids_are_tiles_or_tokens_by_heads()
    {
        Assert.Equal((64u, 32u, 1u), LaunchDims.AttentionPrefill(64, 32).Grid);
        Assert.Equal((128u, 1u, 1u), LaunchDims.AttentionPrefill(64, 32).Block);
        Assert.Equal((64u, 32u, 1u), LaunchDims.AttentionDecode(64, 32).Grid);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(128)]
    public void Head_dims_the_attention_kernels_hold_are_accepted(int headDim) => LaunchDims.CheckHeadDim(headDim);

    [Theory]
    [InlineData(6)]
    [InlineData(256)]
    [InlineData(0)]
    public void Other_head_dims_are_refused_by_name(int headDim)
    {
        var error = Assert.Throws<NotSupportedException>(() => LaunchDims.CheckHeadDim(headDim));
        Assert.Contains($"this model's is {headDim}", error.Message);
    }

    [Fact]
    public unsafe void Arguments_point_at_their_values_in_parameter_order()
    {
        Span<ulong> values = stackalloc ulong[8];
        Span<nint> pointers = stackalloc nint[8];
        var arguments = new KernelArguments(values, pointers);
        arguments.Add(0xDEAD_BEEF_0000_1000UL);
        arguments.Add(-7);
        arguments.Add(1.5f);
        arguments.Add(1L << 40);

        var p = arguments.Pointers;
        Assert.Equal(4, p.Length);
        Assert.Equal(0xDEAD_BEEF_0000_1000UL, *(ulong*)p[0]);
        Assert.Equal(-7, *(int*)p[1]);
        Assert.Equal(1.5f, *(float*)p[2]);
        Assert.Equal(1L << 40, *(long*)p[3]);
        // Each value has its own slot: no argument overlaps another.
        Assert.Equal(4, new HashSet<nint>(p.ToArray()).Count);
        for (int i = 1; i < p.Length; i++) Assert.Equal(8, p[i] - p[i - 1]);
    }

    [Fact]
    public void Packing_more_arguments_than_reserved_is_an_error()
    {
        Span<ulong> values = stackalloc ulong[1];
        Span<nint> pointers = stackalloc nint[1];
        var arguments = new KernelArguments(values, pointers);
        arguments.Add(1);
        bool refused = false;
        try
        {
            arguments.Add(2);
        }
        catch (InvalidOperationException e)
        {
            refused = e.Message.Contains("1 argument slots", StringComparison.Ordinal);
        }
        Assert.True(refused);
    }

    [Fact]
    public void Every_entry_point_is_defined_once_in_the_source()
    {
        var defined = EntryPointPattern().Matches(KernelSource.Text).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(KernelSource.EntryPoints.Order(), defined.Order());
        // No header includes: NVRTC has none on its search path by default.
        Assert.DoesNotContain("#include", KernelSource.Text);
    }

    [SkippableFact]
    public void The_kernel_source_compiles_where_nvrtc_exists()
    {
        Skip.IfNot(Nvrtc.IsAvailable(out string reason), reason);
        var cubin = Nvrtc.CompileToCubin(KernelSource.Text, KernelSource.ProgramName, "sm_90", KernelSource.Options);
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, cubin.AsSpan(0, 4).ToArray());
    }

    [GeneratedRegex("extern \"C\" __global__ void (?:__launch_bounds__\\(\\d+\\) )?(\\w+)\\(")]
    private static partial Regex EntryPointPattern();
}
