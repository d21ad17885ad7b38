using System.Runtime.InteropServices;
using System.Text.Json;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Endpoints;

/// <summary>Writes an embedding in the encoding a client asked for (<see cref="EmbeddingEncodings"/>).</summary>
internal static class EmbeddingJson
{
    /// <summary>Response header naming the embedding space of the vectors in the body.</summary>
    public const string SpaceHeader = "X-Embedding-Space";

    /// <exception cref="ApiException">400 naming the accepted encodings.</exception>
    public static EmbeddingEncoding Parse(string? value) =>
        EmbeddingEncodings.TryParse(value, out EmbeddingEncoding encoding) ? encoding
        : throw ApiException.BadRequest($"'encoding_format' must be {EmbeddingEncodings.Names} (was \"{value}\").", "encoding_format");

    public static void Write(Utf8JsonWriter json, string name, float[] vector, EmbeddingEncoding encoding)
    {
        switch (encoding)
        {
            case EmbeddingEncoding.Base64:
                // Little-endian float32, as OpenAI clients decode it (the platform is little-endian).
                json.WriteBase64String(name, MemoryMarshal.AsBytes(vector.AsSpan()));
                return;
            case EmbeddingEncoding.Int8:
                WriteInts(json, name, EmbeddingEncodings.ToInt8(vector));
                return;
            case EmbeddingEncoding.UInt8:
                WriteInts(json, name, EmbeddingEncodings.ToUInt8(vector));
                return;
            case EmbeddingEncoding.Binary:
                WriteInts(json, name, EmbeddingEncodings.ToBinary(vector));
                return;
            case EmbeddingEncoding.UBinary:
                WriteInts(json, name, EmbeddingEncodings.ToUBinary(vector));
                return;
            default:
                json.WriteStartArray(name);
                foreach (float v in vector) json.WriteNumberValue(v);
                json.WriteEndArray();
                return;
        }
    }

    private static void WriteInts<T>(Utf8JsonWriter json, string name, T[] values) where T : struct, IConvertible
    {
        json.WriteStartArray(name);
        foreach (T v in values) json.WriteNumberValue(v.ToInt32(System.Globalization.CultureInfo.InvariantCulture));
        json.WriteEndArray();
    }
}
