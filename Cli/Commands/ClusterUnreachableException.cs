namespace BlitzScale.Cli.Commands;

/// <summary>No gateway of the cluster could be reached; the message says whether none listens or none answered in time, and what to do.</summary>
internal sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
