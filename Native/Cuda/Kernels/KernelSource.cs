namespace BlitzScale.Native.Cuda.Kernels;

/// <summary>
/// The CUDA C source of every kernel the cuda backend launches, compiled once per architecture by NVRTC
/// (<see cref="KernelCache"/>). Each part lives in its own file; <see cref="Text"/> is their concatenation.
/// </summary>
/// <remarks>
/// <para>Conventions shared by all kernels:</para>
/// <list type="bullet">
/// <item>Activations, keys and values are f32, as the cpu backend keeps them. Weights stay in their stored dtype
/// (code 0 f32, 1 f16, 2 bf16: the ordinals of <c>DType</c>) and are widened on load.</item>
/// <item>Kernels that produce a GEMM input (RMSNorm, SiLU-and-multiply, convert) write it in the weight dtype, so
/// cuBLAS multiplies bf16·bf16 or f16·f16 on tensor cores with f32 accumulation (it has no bf16·f32 GEMM).</item>
/// <item>No fast-math: division, <c>sqrtf</c> and <c>expf</c> are the IEEE-accurate versions, to stay close to the cpu oracle.</item>
/// <item>Block sizes are the <c>LaunchDims</c> constants; the reductions assume a multiple of 32 threads.</item>
/// </list>
/// </remarks>
internal static partial class KernelSource
{
    /// <summary>The program name given to NVRTC (it appears in compile errors).</summary>
    public const string ProgramName = "blitzscale_kernels.cu";

    /// <summary>NVRTC options besides the architecture.</summary>
    public static IReadOnlyList<string> Options { get; } = ["-std=c++17", "-ftz=false", "-prec-div=true", "-prec-sqrt=true"];

    /// <summary>The whole translation unit.</summary>
    public static string Text { get; } = string.Join("\n", Common, Elementwise, Norm, Rope, Attention, Softmax, Argmax);

    /// <summary>Every kernel entry point (its <c>extern "C"</c> name), for loading and compile checks.</summary>
    public static IReadOnlyList<string> EntryPoints { get; } =
    [
        "embed_gather", "rms_norm", "convert_rows", "add_bias", "silu_mul", "rope_store_kv",
        "attention_prefill", "attention_decode", "causal_softmax_rows", "argmax_rows",
    ];
}
