using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Endpoints;

/// <summary>The encoding a client asks for (<see cref="EmbeddingEncodings"/>), and the header naming a response's embedding space.</summary>
internal static class EmbeddingJson
{
    /// <summary>Response header naming the embedding space of the vectors in the body.</summary>
    public const string SpaceHeader = "X-Embedding-Space";

    /// <exception cref="ApiException">400 naming the accepted encodings.</exception>
    public static EmbeddingEncoding Parse(string? value) =>
        EmbeddingEncodings.TryParse(value, out EmbeddingEncoding encoding) ? encoding
        : throw ApiException.BadRequest($"'encoding_format' must be {EmbeddingEncodings.Names} (was \"{value}\").", "encoding_format");
}
