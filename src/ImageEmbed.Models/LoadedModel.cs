using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Sessions;

namespace ImageEmbed.Models;

/// <summary>A model ready to serve: its image encoder session and the micro-batcher in front of it.</summary>
public sealed class LoadedModel : IAsyncDisposable
{
    internal LoadedModel(ImageEncoder encoder, MicroBatcher batcher)
    {
        Encoder = encoder;
        Batcher = batcher;
    }

    public ModelManifest Manifest => Encoder.Model.Manifest;
    public string Name => Manifest.Name;
    public int Dimensions => Manifest.Dimensions;
    public ImageEncoder Encoder { get; }
    public MicroBatcher Batcher { get; }

    /// <summary>Drains the batcher, then frees the session (in that order: queued work must finish first).</summary>
    public async ValueTask DisposeAsync()
    {
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Encoder.Dispose();
    }
}
