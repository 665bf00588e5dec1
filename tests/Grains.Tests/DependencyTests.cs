using BlitzScale.Tests.Shared;

namespace BlitzScale.Grains.Tests;

/// <summary>Pins which of our projects Grains may depend on (see DESIGN.md: dependencies point one way).</summary>
public sealed class DependencyTests
{
    [Fact]
    public void ReferencesOnlyWhatTheDesignAllows() =>
        Assert.Equal(new string[] { "Grains.Interfaces", "Native", "Scaling" }, ProjectReferences.Of("Grains"));
}
