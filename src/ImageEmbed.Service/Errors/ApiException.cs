namespace ImageEmbed.Service.Errors;

/// <summary>A request the service refuses for a reason found at the HTTP layer (bad JSON, missing field, ...).</summary>
internal sealed class ApiException(int status, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>The request field at fault, for the OpenAI error envelope's <c>param</c>.</summary>
    public string? Param { get; } = param;

    public static ApiException BadRequest(string message, string? param = null) => new(StatusCodes.Status400BadRequest, message, param);
}
