using BlitzScale.Cli.Commands;
using BlitzScale.Grains.Interfaces.Serving;

namespace BlitzScale.Cli.Tests.Commands;

/// <summary>The load policies' command-line names, both ways, and the error for a name that is none of them.</summary>
public sealed class LoadPolicyNamesTests
{
    [Theory]
    [InlineData("blitz", LoadPolicy.Blitz)]
    [InlineData("blitz-fast", LoadPolicy.BlitzFast)]
    [InlineData("SLLM", LoadPolicy.Sllm)]
    [InlineData("allcache", LoadPolicy.AllCache)]
    public void Each_name_parses_and_prints_back(string name, LoadPolicy policy)
    {
        Assert.Equal(policy, LoadPolicyNames.Parse(name));
        Assert.Equal(name.ToLowerInvariant(), LoadPolicyNames.Name(policy));
    }

    [Fact]
    public void An_unknown_name_is_refused_naming_the_option_it_came_from()
    {
        var error = Assert.Throws<ArgumentException>(() => LoadPolicyNames.Parse("foo", "--policies"));
        Assert.Equal("--policies: expected blitz, blitz-fast, sllm or allcache, found \"foo\"", error.Message);
        Assert.StartsWith("--policy: ", Assert.Throws<ArgumentException>(() => LoadPolicyNames.Parse("foo")).Message);
    }
}
