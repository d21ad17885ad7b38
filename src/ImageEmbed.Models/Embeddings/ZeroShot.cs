using System.Numerics.Tensors;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Models.Embeddings;

/// <summary>Zero-shot label scores from an image embedding and label-prompt embeddings (all unit length).</summary>
public static class ZeroShot
{
    /// <summary>
    /// <c>logit = LogitScale · cos + LogitBias</c> per label, then a softmax over the labels (CLIP: scores sum
    /// to 1) or an independent sigmoid per label (SigLIP: each score is its own probability).
    /// </summary>
    public static float[] Scores(ReadOnlySpan<float> image, IReadOnlyList<float[]> labels, TextEncoderSpec spec)
    {
        float[] logits = new float[labels.Count];
        for (int i = 0; i < logits.Length; i++) logits[i] = spec.LogitScale * TensorPrimitives.Dot(image, labels[i]) + spec.LogitBias;
        float[] scores = new float[logits.Length];
        if (spec.Scoring == "sigmoid") TensorPrimitives.Sigmoid(logits, scores);
        else TensorPrimitives.SoftMax(logits, scores);
        return scores;
    }
}
