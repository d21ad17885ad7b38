namespace ImageEmbed.Service.Errors;

/// <summary>
/// Turns exceptions into error responses through <see cref="ErrorMapping"/>. A client that went away
/// is logged at Debug and gets nothing; nothing is written once the response has started.
/// </summary>
internal sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        Exception? failure;
        try
        {
            await next(context);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientDisconnected(logger, context.Request.Path);
            return;
        }
        catch (Exception e)
        {
            failure = e;
        }

        ApiError? error = failure is Models.Catalog.UnknownModelException unknown && context.RequestServices.GetService<Hosting.ModelWarmupService>()?.IsStillInstalling(unknown) == true
            ? ErrorMapping.Loading
            : ErrorMapping.Map(failure);
        if (error is null)
        {
            Log.Unhandled(logger, failure, context.Request.Method, context.Request.Path);
            error = new ApiError(500, "Internal error; the service logged the details.", "server_error", "internal_error");
        }
        else if (error.Value.Status >= 500)
        {
            Log.ServerSide(logger, error.Value.Status, context.Request.Path, error.Value.Message);
        }
        if (context.Response.HasStarted)
        {
            Log.ResponseStarted(logger, context.Request.Path);
            return;
        }
        await ErrorWriter.WriteAsync(context, error.Value);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Client disconnected during {Path}")]
        public static partial void ClientDisconnected(ILogger logger, PathString path);

        [LoggerMessage(2, LogLevel.Error, "Unhandled error in {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, Exception exception, string method, PathString path);

        [LoggerMessage(3, LogLevel.Warning, "{Status} for {Path}: {Message}")]
        public static partial void ServerSide(ILogger logger, int status, PathString path, string message);

        [LoggerMessage(4, LogLevel.Warning, "Error after the response to {Path} had started; the connection is closed instead")]
        public static partial void ResponseStarted(ILogger logger, PathString path);
    }
}
