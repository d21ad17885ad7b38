namespace ImageEmbed.Models.Batching;

/// <summary>One image's embedding from a batch, with how long it waited and how long its batch ran.</summary>
public sealed record BatchedEmbedding(float[] Vector, TimeSpan QueueTime, TimeSpan InferenceTime, int BatchSize);
