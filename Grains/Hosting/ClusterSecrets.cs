using System.Security.Cryptography;
using System.Text;

namespace BlitzScale.Grains.Hosting;

/// <summary>
/// Where a silo's data-plane cluster secret comes from: <see cref="GpuHostOptions.ClusterSecret"/>, else the file
/// <see cref="GpuHostOptions.ClusterSecretFile"/> names, else <see cref="EnvironmentVariable"/>. There is no default: a
/// silo run on its own refuses to start without one (it joins other silos, which must share it), and silos built in
/// one process without one (the CLI's embedded grid, test clusters) share <see cref="ThisProcess"/>.
/// </summary>
public static class ClusterSecrets
{
    /// <summary>The environment variable read when no option gives the secret.</summary>
    public const string EnvironmentVariable = "BLITZSCALE_CLUSTER_SECRET";

    /// <summary>Shortest secret accepted, in characters.</summary>
    public const int MinCharacters = 16;

    /// <summary>How to give a silo its secret, for error messages.</summary>
    public const string HowToSet =
        "set one secret shared by every silo with --cluster-secret S (at least 16 characters), the environment variable " +
        EnvironmentVariable + ", or --cluster-secret-file PATH (a file holding it, made e.g. with `head -c 32 /dev/urandom | base64 > PATH`)";

    /// <summary>A random secret for the silos of this process only; no other process can know it.</summary>
    internal static byte[] ThisProcess { get; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>The configured secret's bytes (UTF-8), or null when none is configured.</summary>
    /// <exception cref="ArgumentException">The secret file cannot be read, or the secret is shorter than 16 characters; the message says which.</exception>
    public static byte[]? Configured(GpuHostOptions host) =>
        Find(host) is { } found ? Encoding.UTF8.GetBytes(Checked(found.Secret, found.From)) : null;

    /// <summary>Where the configured secret comes from ("--cluster-secret", a file, the environment); null when none is.</summary>
    public static string? Source(GpuHostOptions host) => Find(host)?.From;

    private static (string Secret, string From)? Find(GpuHostOptions host)
    {
        if (!string.IsNullOrEmpty(host.ClusterSecret)) return (host.ClusterSecret, "ClusterSecret (--cluster-secret)");
        if (!string.IsNullOrEmpty(host.ClusterSecretFile))
        {
            string from = $"ClusterSecretFile (--cluster-secret-file) \"{host.ClusterSecretFile}\"";
            try
            {
                return (File.ReadAllText(host.ClusterSecretFile).Trim(), from);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"{from}: cannot read the cluster secret: {e.Message}");
            }
        }
        return Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? (value, EnvironmentVariable) : null;
    }

    private static string Checked(string secret, string from) =>
        secret.Length >= MinCharacters
            ? secret
            : throw new ArgumentException($"{from}: the cluster secret has {secret.Length} characters; expected at least {MinCharacters}");
}
