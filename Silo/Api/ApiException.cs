namespace BlitzScale.Silo.Api;

/// <summary>A request the API answers with an OpenAI-shaped error object and <see cref="Status"/>.</summary>
internal sealed class ApiException(int status, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>OpenAI's error type (<c>invalid_request_error</c>, <c>authentication_error</c>, …).</summary>
    public string Type { get; } = type;

    /// <summary>The request field at fault, or null.</summary>
    public string? Param { get; } = param;

    public string? Code { get; } = code;

    /// <summary>Sent as <c>Retry-After</c> (whole seconds), or null.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A 400 for the request field <paramref name="param"/>.</summary>
    public static ApiException Invalid(string? param, string message) => new(400, message, "invalid_request_error", param);
}
