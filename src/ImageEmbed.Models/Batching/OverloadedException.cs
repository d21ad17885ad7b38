namespace ImageEmbed.Models.Batching;

/// <summary>The service has more work waiting than its bounds allow; the request was refused, not queued. Retry later.</summary>
public sealed class OverloadedException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>About how long until the work waiting now has run: when a retry has a chance.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
