using System.Numerics.Tensors;

namespace ImageEmbed.Models.Embeddings;

/// <summary>How an embedding is returned to a client.</summary>
public enum EmbeddingEncoding { Float, Base64, Int8, UInt8, Binary, UBinary }

/// <summary>
/// Quantized output forms, applied after truncation and re-normalization (the only order in which the
/// truncated vector is still a unit vector before it is quantized).
/// </summary>
/// <remarks>
/// int8: each vector is scaled so its largest component is ±127 (<c>q = round(v · 127 / max|v|)</c>), no
/// offset. A fixed scale would waste the range: components of a 1792-d unit vector are around ±0.02,
/// which a fixed 1/127 step would round to a handful of levels. The per-vector scale does not change
/// cosine similarity between quantized vectors (it is scale-invariant), which is how int8 vectors are
/// meant to be compared; raw dot products are comparable only up to that scale. uint8 is int8 + 128.
/// binary/ubinary: one bit per dimension (1 when the component is > 0), packed 8 per byte, most
/// significant bit first, the last byte zero-padded; ubinary is the byte as 0..255, binary the same
/// byte minus 128 (-128..127), as the hosted APIs define them. Compare them by Hamming distance.
/// </remarks>
public static class EmbeddingEncodings
{
    public static bool TryParse(string? value, out EmbeddingEncoding encoding)
    {
        (bool ok, encoding) = value switch
        {
            null or "float" => (true, EmbeddingEncoding.Float),
            "base64" => (true, EmbeddingEncoding.Base64),
            "int8" => (true, EmbeddingEncoding.Int8),
            "uint8" => (true, EmbeddingEncoding.UInt8),
            "binary" => (true, EmbeddingEncoding.Binary),
            "ubinary" => (true, EmbeddingEncoding.UBinary),
            _ => (false, EmbeddingEncoding.Float),
        };
        return ok;
    }

    public const string Names = "float, base64, int8, uint8, binary or ubinary";

    /// <summary>Symmetric per-vector int8 quantization (see the remarks on this class).</summary>
    public static sbyte[] ToInt8(ReadOnlySpan<float> vector)
    {
        float max = Math.Abs(TensorPrimitives.MaxMagnitude(vector)); // MaxMagnitude keeps the sign
        float scale = max > 0 ? 127f / max : 0f;
        var result = new sbyte[vector.Length];
        for (int i = 0; i < vector.Length; i++) result[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * scale), -127f, 127f);
        return result;
    }

    /// <summary>int8 + 128, as 0..255.</summary>
    public static byte[] ToUInt8(ReadOnlySpan<float> vector)
    {
        sbyte[] q = ToInt8(vector);
        var result = new byte[q.Length];
        for (int i = 0; i < q.Length; i++) result[i] = (byte)(q[i] + 128);
        return result;
    }

    /// <summary>Sign bits packed MSB-first into ceil(d / 8) bytes.</summary>
    public static byte[] ToUBinary(ReadOnlySpan<float> vector)
    {
        var result = new byte[(vector.Length + 7) / 8];
        for (int i = 0; i < vector.Length; i++)
            if (vector[i] > 0) result[i >> 3] |= (byte)(0x80 >> (i & 7));
        return result;
    }

    /// <summary>The packed bytes minus 128, as -128..127.</summary>
    public static sbyte[] ToBinary(ReadOnlySpan<float> vector)
    {
        byte[] bits = ToUBinary(vector);
        var result = new sbyte[bits.Length];
        for (int i = 0; i < bits.Length; i++) result[i] = (sbyte)(bits[i] - 128);
        return result;
    }
}
