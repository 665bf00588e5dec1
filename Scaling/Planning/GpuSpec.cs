namespace BlitzScale.Scaling.Planning;

/// <summary>One GPU as the transfer planner sees it.</summary>
/// <param name="Key">The GPU's key, <c>"{host}/gpu{index}"</c>.</param>
/// <param name="Host">The host the GPU is in.</param>
/// <param name="NvlinkGroup">
/// The GPU's NVLink group on its host: GPUs of one host with the same group name copy to each other over NVLink;
/// GPUs of one host in different groups copy over PCIe.
/// </param>
/// <param name="RelativeSpeed">How fast the GPU computes, relative to the others (larger is faster); chains feed faster GPUs first.</param>
public sealed record GpuSpec(string Key, string Host, string NvlinkGroup, double RelativeSpeed = 1.0);
