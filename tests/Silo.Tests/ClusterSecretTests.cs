using BlitzScale.Grains.Hosting;
using BlitzScale.Tests.Shared;

namespace BlitzScale.Silo.Tests;

/// <summary>
/// A silo run on its own has no default cluster secret: it takes one from --cluster-secret, a file or the environment,
/// and without one it refuses to start, saying how to set one.
/// </summary>
public sealed class ClusterSecretTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static bool SecretInEnvironment => Environment.GetEnvironmentVariable(ClusterSecrets.EnvironmentVariable) is { Length: > 0 };

    [SkippableFact]
    public async Task A_silo_without_a_secret_refuses_to_start_and_says_how_to_set_one()
    {
        Skip.If(SecretInEnvironment, $"{ClusterSecrets.EnvironmentVariable} is set in this environment");
        var (_, host, errors) = SiloConfiguration.Load([], _dir.Path);
        Assert.Empty(errors);

        string error = Assert.Single(SiloConfiguration.StandaloneErrors(host));
        var built = Assert.Throws<ArgumentException>(() => BlitzSilo.Build(["--silo-port", "11999"]));

        Assert.StartsWith("ClusterSecret: a silo run on its own joins other silos, which must share a cluster secret, and none is configured", error, StringComparison.Ordinal);
        foreach (string way in new[] { "--cluster-secret S", ClusterSecrets.EnvironmentVariable, "--cluster-secret-file PATH" })
            Assert.Contains(way, error, StringComparison.Ordinal);
        Assert.Contains("none is configured", built.Message, StringComparison.Ordinal);
        Assert.Equal(2, await BlitzSilo.RunAsync(["--silo-port", "11999"]));
    }

    [Fact]
    public void The_secret_comes_from_the_option_before_the_file()
    {
        File.WriteAllText(_dir.File("secret"), "from-the-file-0123456789\n");
        var (_, host, errors) = SiloConfiguration.Load(["--cluster-secret", "from-the-option-0123", "--cluster-secret-file", _dir.File("secret")], _dir.Path);

        Assert.Empty(errors);
        Assert.Empty(SiloConfiguration.StandaloneErrors(host));
        Assert.Equal("from-the-option-0123"u8.ToArray(), ClusterSecrets.Configured(host));
    }

    [Fact]
    public void A_secret_file_is_read_without_its_surrounding_whitespace()
    {
        File.WriteAllText(_dir.File("secret"), "  from-the-file-0123456789\n");
        var (_, host, errors) = SiloConfiguration.Load(["--cluster-secret-file", _dir.File("secret")], _dir.Path);

        Assert.Empty(errors);
        Assert.Equal("from-the-file-0123456789"u8.ToArray(), ClusterSecrets.Configured(host));
        Assert.Equal($"ClusterSecretFile (--cluster-secret-file) \"{_dir.File("secret")}\"", ClusterSecrets.Source(host));
    }

    [Fact]
    public void A_missing_or_short_secret_file_is_an_invalid_option_naming_the_file()
    {
        File.WriteAllText(_dir.File("short"), "too-short\n");
        string absent = _dir.File("absent");

        var missing = Assert.Single(SiloConfiguration.Load(["--cluster-secret-file", absent], _dir.Path).Errors);
        var shortOne = Assert.Single(SiloConfiguration.Load(["--cluster-secret-file", _dir.File("short")], _dir.Path).Errors);

        Assert.Equal($"ClusterSecretFile: \"{absent}\" does not exist (--cluster-secret-file)", missing);
        Assert.Equal($"ClusterSecretFile (--cluster-secret-file) \"{_dir.File("short")}\": the cluster secret has 9 characters; expected at least 16", shortOne);
    }

    public void Dispose() => _dir.Dispose();
}
