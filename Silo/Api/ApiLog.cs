using Microsoft.Extensions.Logging;

namespace BlitzScale.Silo.Api;

/// <summary>The HTTP API's log lines.</summary>
internal static partial class ApiLog
{
    public const string Category = "BlitzScale.Silo.Api";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "OpenAI-compatible HTTP API on {Url} ({Access})")]
    public static partial void Listening(ILogger logger, string url, string access);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "HTTP API: no API keys configured, so the API listens on loopback only ({Url}); give --api-key to serve other machines")]
    public static partial void LoopbackOnly(ILogger logger, string url);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "HTTP API: stream {Id} failed after it started: {Reason}")]
    public static partial void StreamFailed(ILogger logger, string id, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "HTTP API: {Path} failed")]
    public static partial void Failed(ILogger logger, string path, Exception exception);
}
