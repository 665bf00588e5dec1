namespace BlitzScale.Scaling.Planning;

/// <summary>One copy in a transfer plan: <paramref name="From"/> sends <paramref name="Blobs"/> to <paramref name="To"/> over <paramref name="Link"/>.</summary>
/// <param name="From">
/// A GPU key, <see cref="TransferPlan.HostCopyEndpoint"/> of the host that holds the host copy, or
/// <see cref="TransferPlan.StorageEndpoint"/>.
/// </param>
/// <param name="To">The receiving GPU's key.</param>
/// <param name="Link">The link used.</param>
/// <param name="Blobs">The blobs sent: the whole image, except in a split send and an all-gather.</param>
public sealed record TransferHop(string From, string To, LinkType Link, BlobRange Blobs);
