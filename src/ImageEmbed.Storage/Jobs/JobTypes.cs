using System.Text.Json;

namespace ImageEmbed.Storage.Jobs;

/// <summary>Where a job is: <c>queued</c> → <c>running</c> → <c>completed</c> (per-item errors included) or <c>cancelled</c>.</summary>
public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string state) => state is Completed or Cancelled;
}

/// <summary>One URL of a job, the item id it becomes, and metadata to store with it.</summary>
public sealed record JobItemSpec(string Url, string Id, JsonElement? Metadata = null);

/// <summary>
/// A job and its progress. <see cref="Collection"/> is null for a job that only embeds (results are kept
/// with the job). Counts: <see cref="Succeeded"/> + <see cref="Failed"/> + <see cref="Pending"/> = <see cref="Total"/>.
/// </summary>
public sealed record JobInfo(string Id, string State, string? Collection, string Model, DateTimeOffset Created, DateTimeOffset Updated,
    int Total, int Succeeded, int Failed, int Pending);

/// <summary>A failed item: its position in the job, URL, id, and the HTTP status and message it would have had as a request.</summary>
public sealed record JobItemError(int Index, string Url, string Id, int Status, string Message);

/// <summary>A job item still to do.</summary>
public sealed record PendingJobItem(int Index, string Url, string Id, JsonElement? Metadata);

/// <summary>What became of one item: a vector (and, for a job into a collection, the item to store), or an error (status and message).</summary>
public sealed record JobItemOutcome(int Index, float[]? Vector, int ErrorStatus = 0, string? Error = null)
{
    public CollectionItem? Item { get; init; }
}

/// <summary>A finished item of an embed-only job with its vector.</summary>
public sealed record JobResult(int Index, string Url, string Id, float[] Vector);
