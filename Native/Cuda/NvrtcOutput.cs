namespace BlitzScale.Native.Cuda;

/// <summary>A compiled program: the cubin and NVRTC's log (empty when it had nothing to say).</summary>
public sealed record NvrtcOutput(byte[] Cubin, string Log);
