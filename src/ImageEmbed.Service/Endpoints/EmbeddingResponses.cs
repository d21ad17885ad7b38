using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImageEmbed.Models.Embeddings;

namespace ImageEmbed.Service.Endpoints;

/// <summary><c>POST /api/ai/embeddings</c>: the unit vector, its length, the model that made it and its embedding space.</summary>
public sealed record CoreVizResponse(EncodedEmbedding Embedding, int Dimensions, string Model, string EmbeddingSpace);

/// <summary>One vector of <c>POST /v1/embeddings</c>, at its input's index.</summary>
public sealed record OpenAiEmbedding(string Object, int Index, EncodedEmbedding Embedding);

public sealed record OpenAiUsage(int PromptTokens, int TotalTokens);

/// <summary><c>POST /v1/embeddings</c>, as OpenAI clients read it, plus the embedding space.</summary>
public sealed record OpenAiResponse(string Object, OpenAiEmbedding[] Data, string Model, string EmbeddingSpace, OpenAiUsage Usage);

/// <summary>
/// A vector in the encoding the client asked for (<see cref="EmbeddingEncodings"/>): a JSON array of numbers, or for
/// <c>base64</c> a string of little-endian float32 bytes, as OpenAI clients decode it.
/// </summary>
[JsonConverter(typeof(EncodedEmbeddingConverter))]
public readonly record struct EncodedEmbedding(float[] Vector, EmbeddingEncoding Encoding);

internal sealed class EncodedEmbeddingConverter : JsonConverter<EncodedEmbedding>
{
    public override EncodedEmbedding Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Embeddings are only written.");

    public override void Write(Utf8JsonWriter json, EncodedEmbedding value, JsonSerializerOptions options)
    {
        switch (value.Encoding)
        {
            case EmbeddingEncoding.Base64:
                // Little-endian float32 (the platform is little-endian).
                json.WriteBase64StringValue(MemoryMarshal.AsBytes(value.Vector.AsSpan()));
                return;
            case EmbeddingEncoding.Int8:
                WriteInts(json, EmbeddingEncodings.ToInt8(value.Vector));
                return;
            case EmbeddingEncoding.UInt8:
                WriteInts(json, EmbeddingEncodings.ToUInt8(value.Vector));
                return;
            case EmbeddingEncoding.Binary:
                WriteInts(json, EmbeddingEncodings.ToBinary(value.Vector));
                return;
            case EmbeddingEncoding.UBinary:
                WriteInts(json, EmbeddingEncodings.ToUBinary(value.Vector));
                return;
            default:
                json.WriteStartArray();
                foreach (float v in value.Vector) json.WriteNumberValue(v);
                json.WriteEndArray();
                return;
        }
    }

    private static void WriteInts<T>(Utf8JsonWriter json, T[] values) where T : struct, IConvertible
    {
        json.WriteStartArray();
        foreach (T v in values) json.WriteNumberValue(v.ToInt32(System.Globalization.CultureInfo.InvariantCulture));
        json.WriteEndArray();
    }
}

/// <summary>
/// Source-generated serialization for the routes' bodies (no reflection on the hot path), in the API's snake_case with
/// "'" kept as is in messages.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CoreVizResponse))]
[JsonSerializable(typeof(OpenAiResponse))]
internal sealed partial class ServiceJsonContext : JsonSerializerContext;
