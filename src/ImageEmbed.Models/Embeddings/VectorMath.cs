using System.Numerics.Tensors;

namespace ImageEmbed.Models.Embeddings;

/// <summary>Vector operations on embeddings, over spans, through <see cref="TensorPrimitives"/>.</summary>
public static class VectorMath
{
    /// <summary>
    /// Scales <paramref name="vector"/> to unit L2 length in place. A zero vector stays zero (there is
    /// no direction to keep); NaN or infinity propagate.
    /// </summary>
    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0f) TensorPrimitives.Divide(vector, norm, vector);
    }

    /// <summary>Keeps the first <paramref name="dimensions"/> values and re-normalizes them (Matryoshka-style truncation).</summary>
    public static float[] Truncate(ReadOnlySpan<float> vector, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, vector.Length);
        float[] result = vector[..dimensions].ToArray();
        Normalize(result);
        return result;
    }

    /// <summary>Cosine similarity of two equally long vectors.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);
}
