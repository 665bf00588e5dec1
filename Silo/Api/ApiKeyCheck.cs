using System.Security.Cryptography;
using System.Text;

namespace BlitzScale.Silo.Api;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> against the configured keys in constant time: each key is compared by its
/// SHA-256 (equal lengths) with <see cref="CryptographicOperations.FixedTimeEquals"/>, and every key is compared.
/// </summary>
internal sealed class ApiKeyCheck(IReadOnlyList<string> keys)
{
    private readonly byte[][] _hashes = [.. keys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    /// <summary>Whether keys are required at all.</summary>
    public bool Required => _hashes.Length > 0;

    /// <summary>Whether <paramref name="authorization"/> (the header's value, or null) presents a configured key.</summary>
    public bool Accepts(string? authorization)
    {
        if (!Required) return true;
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        bool accepted = false;
        foreach (byte[] hash in _hashes) accepted |= CryptographicOperations.FixedTimeEquals(hash, presented);
        return accepted;
    }
}
