using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Interfaces.Tests;

/// <summary>Pins which of our projects Grains.Interfaces may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] {  }, ProjectReferences.Of("Grains.Interfaces"));
}
