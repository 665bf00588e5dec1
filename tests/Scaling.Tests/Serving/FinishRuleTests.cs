using BlitzScale.Scaling.Serving;

namespace BlitzScale.Scaling.Tests.Serving;

/// <summary>The one rule for when a request ends after a sampled token.</summary>
public sealed class FinishRuleTests
{
    private const int Eos = 2;

    [Theory]
    [InlineData(7, 0, 3, true, null)]
    [InlineData(7, 2, 3, true, ServingFinishReason.Length)]
    [InlineData(Eos, 0, 3, true, ServingFinishReason.Eos)]
    [InlineData(Eos, 2, 3, true, ServingFinishReason.Eos)]
    [InlineData(Eos, 0, 3, false, null)]
    [InlineData(Eos, 2, 3, false, ServingFinishReason.Length)]
    [InlineData(7, 0, 1, true, ServingFinishReason.Length)]
    public void The_reason_follows_eos_then_length(int token, int index, int maxTokens, bool stopAtEos, ServingFinishReason? expected) =>
        Assert.Equal(expected, FinishRule.After(token, index, maxTokens, stopAtEos, Eos));
}
