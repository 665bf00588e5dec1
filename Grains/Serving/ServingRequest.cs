using BlitzScale.Native.Sampling;

namespace BlitzScale.Grains.Serving;

/// <summary>One generation request to an <see cref="InstanceServer"/>.</summary>
/// <param name="Id">Unique among the instance's waiting and running requests.</param>
/// <param name="PromptIds">The prompt, BOS included.</param>
/// <param name="MaxTokens">Most tokens to generate (≥ 1).</param>
/// <param name="Sampling">Token choice, with the request's own seed.</param>
/// <param name="StopAtEos">Whether EOS ends the request (it is then not part of the output).</param>
public sealed record ServingRequest(string Id, int[] PromptIds, int MaxTokens, SamplingOptions Sampling, bool StopAtEos = true);
