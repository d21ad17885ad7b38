using System.Numerics.Tensors;

namespace ImageEmbed.Models.Embeddings;

/// <summary>Vector operations on embeddings, over spans, through <see cref="TensorPrimitives"/>.</summary>
public static class VectorMath
{
    /// <summary>
    /// Scales <paramref name="vector"/> to unit L2 length in place. A zero vector stays zero (there is
    /// no direction to keep); NaN or infinity propagate. Finite components of any size work: where the
    /// float norm would overflow (components around 1e19 and up) or underflow, the vector is first scaled by
    /// its largest magnitude.
    /// </summary>
    public static void Normalize(Span<float> vector) => TryNormalize(vector);

    /// <summary>
    /// <see cref="Normalize"/>, saying whether the result is a unit vector: false for a zero vector or one holding
    /// NaN or infinity, which have no direction (the caller refuses them).
    /// </summary>
    public static bool TryNormalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsNormal(norm))
        {
            if (vector.IsEmpty) return false;
            float largest = TensorPrimitives.MaxMagnitude(vector);
            if (!float.IsFinite(largest) || largest == 0f) return false;
            TensorPrimitives.Divide(vector, Math.Abs(largest), vector); // now within [-1, 1], one component ±1
            norm = TensorPrimitives.Norm(vector);
        }
        TensorPrimitives.Divide(vector, norm, vector);
        return true;
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
