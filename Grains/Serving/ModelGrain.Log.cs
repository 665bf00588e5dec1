using BlitzScale.Grains.Interfaces.Serving;
using Microsoft.Extensions.Logging;

namespace BlitzScale.Grains.Serving;

internal sealed partial class ModelGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} deployed: {Instances} instance(s), policy {Policy}, host copy on {HostCopy}")]
    private static partial void LogDeployed(ILogger logger, string model, int instances, LoadPolicy policy, string hostCopy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: host {Host} did not say which copies it holds; its status leaves it out: {Reason}")]
    private static partial void LogCopiesUnanswered(ILogger logger, string model, string host, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} did not answer for its status; left out of this reading: {Reason}")]
    private static partial void LogStatusUnanswered(ILogger logger, string shard, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Planning the load of {Shard} again could not reach the cluster; trying again: {Reason}")]
    private static partial void LogReplanRetry(ILogger logger, string shard, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model}: the topology did not answer; planning with the hosts last read: {Reason}")]
    private static partial void LogHostsLastKnown(ILogger logger, string model, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: {Plan}")]
    private static partial void LogPlanned(ILogger logger, string model, string plan);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model} scaled down to {Instances} instance(s) (keep warm: {KeepWarm})")]
    private static partial void LogScaledDown(ILogger logger, string model, int instances, bool keepWarm);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} serves live beside {Partner} with {Layers} of {TotalLayers} layers landed")]
    private static partial void LogPairedLive(ILogger logger, string shard, string partner, int layers, int totalLayers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} serves live with its first {Layers} layers beside {Partner}, which holds the last {TailLayers} of {TotalLayers} (loads in complementary orders); splits at layer {Cap} at most")]
    private static partial void LogPairedTail(ILogger logger, string shard, string partner, int layers, int tailLayers, int totalLayers, int cap);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live pair of {Shard} with {Partner} ended or refused: {Reason}")]
    private static partial void LogPairFailed(ILogger logger, string shard, string partner, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling {Shard} that its live pair ended failed: {Reason}")]
    private static partial void LogEndLiveFailed(ILogger logger, string shard, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} revived")]
    private static partial void LogRevived(ILogger logger, string shard);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} lost its source {Source} mid-load: planning its load again without it (hosts left out: {Hosts})")]
    private static partial void LogReplanning(ILogger logger, string shard, string source, string hosts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Instance {Shard} lost {Source} and was not planned again in time: it loads from its fallback")]
    private static partial void LogFellBack(ILogger logger, string shard, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Planning the load of {Shard} again failed")]
    private static partial void LogReplanFailed(ILogger logger, string shard, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unloading {Shard} failed")]
    private static partial void LogUnloadFailed(ILogger logger, string shard, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping the copy of {Model} from the memory of {Host} failed")]
    private static partial void LogDropFailed(ILogger logger, string model, string host, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Instance {Shard} failed and was not planned again: a new instance replaces it on {Gpu}")]
    private static partial void LogReplacingFailed(ILogger logger, string shard, string gpu);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: scale call to {Instances} instance(s) took {Ms:0.0} ms: {Steps}")]
    private static partial void LogScaleCall(ILogger logger, string model, int instances, double ms, string steps);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: {Count} new instance(s) began loading {Ms:0.0} ms into the scale-up: {Steps}")]
    private static partial void LogScaledUp(ILogger logger, string model, int count, double ms, string steps);
}
