namespace ImageEmbed.Models.Batching;

/// <summary>The service has more work waiting than its bounds allow; the request was refused, not queued. Retry later.</summary>
public sealed class OverloadedException(string message) : Exception(message);
