namespace ImageEmbed.Models;

/// <summary>Time spent in each stage of one embedding.</summary>
public readonly record struct EmbeddingTimings(TimeSpan Decode, TimeSpan Preprocess, TimeSpan Queue, TimeSpan Inference, int BatchSize);

/// <summary>A unit-length embedding of one image, the model that made it, and its embedding space.</summary>
public sealed record ImageEmbedding(string Model, float[] Vector, EmbeddingTimings Timings, string Space)
{
    public int Dimensions => Vector.Length;
}

/// <summary>Unit-length embeddings of texts, in input order, and the tokens they used (BOS/EOS included).</summary>
public sealed record TextEmbeddings(string Model, float[][] Vectors, int Tokens, string Space);
