namespace BlitzScale.Native.Transport;

/// <summary>A transfer of parameter blobs from a peer failed; the message names the peer, the model and what went wrong.</summary>
public class TransferException : Exception
{
    /// <summary>Creates the exception; <paramref name="message"/> should already name the peer and model.</summary>
    public TransferException(string peer, string modelId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Peer = peer;
        ModelId = modelId;
    }

    /// <summary>The peer the blobs were fetched from.</summary>
    public string Peer { get; }
    /// <summary>The model being transferred.</summary>
    public string ModelId { get; }
}
