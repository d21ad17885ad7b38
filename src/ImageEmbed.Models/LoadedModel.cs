using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Execution;
using ImageEmbed.Models.Sessions;

namespace ImageEmbed.Models;

/// <summary>A model ready to serve: its image encoder session and the micro-batcher in front of it.</summary>
public sealed class LoadedModel : IAsyncDisposable
{
    private readonly ExecutionPlan _plan;

    internal LoadedModel(ImageEncoder encoder, MicroBatcher batcher, TextEncoder? text, string space, ExecutionPlan plan)
    {
        _plan = plan;
        Encoder = encoder;
        Batcher = batcher;
        Text = text;
        Space = space;
    }

    /// <summary>The embedding-space fingerprint of this model's vectors (<see cref="EmbeddingSpace"/>).</summary>
    public string Space { get; }

    public ModelManifest Manifest => Encoder.Model.Manifest;
    public string Name => Manifest.Name;
    public int Dimensions => Manifest.Dimensions;
    public ImageEncoder Encoder { get; }
    public MicroBatcher Batcher { get; }

    /// <summary>Images a bulk caller keeps in flight for this model (<see cref="ExecutionPlan.BulkConcurrency"/>).</summary>
    public int BulkConcurrency => _plan.BulkConcurrencyFor(Batcher.MaxBatchSize, Batcher.Runners);

    /// <summary>The text tower, for CLIP-family models; null for image-only models.</summary>
    public TextEncoder? Text { get; }

    public string[] Modalities => Manifest.Modalities;

    /// <summary>The text tower, or a client-facing refusal naming the model's modalities.</summary>
    /// <exception cref="UnsupportedModalityException">The model is image-only.</exception>
    public TextEncoder RequireText(string purpose) => Text ?? throw new UnsupportedModalityException(
        $"Model '{Name}' supports {string.Join(", ", Modalities)} only, so it cannot {purpose}. That needs a CLIP-family model with a text encoder: 'imageembed models pull {Catalog.ModelCatalog.Recommended}'.");

    /// <summary>Drains the batcher, then frees the session (in that order: queued work must finish first).</summary>
    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Encoder.Dispose();
        Text?.Dispose();
    }
}
