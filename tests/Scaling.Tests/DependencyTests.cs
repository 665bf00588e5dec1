using BlitzScale.Tests.Shared;

namespace BlitzScale.Scaling.Tests;

/// <summary>Pins which of our projects Scaling may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] {  }, ProjectReferences.Of("Scaling"));
}
