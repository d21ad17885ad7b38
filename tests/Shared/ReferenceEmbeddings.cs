using System.Text.Json;

namespace ImageEmbed.Tests;

/// <summary><c>../shared/reference/mobilenet-v2-140.json</c>: embeddings from an independent sharp + onnxruntime-node pipeline.</summary>
internal sealed class ReferenceEmbeddings
{
    private ReferenceEmbeddings(Dictionary<string, float[]> embeddings, Dictionary<string, float[]> probs, string[] notDecodable, double mean, double min)
    {
        Embeddings = embeddings;
        Probs = probs;
        NotDecodable = notDecodable;
        RecommendedMean = mean;
        RecommendedMin = min;
    }

    /// <summary>By path relative to <c>shared/images</c>, e.g. <c>dev/n01440764_tench.JPEG</c>.</summary>
    public Dictionary<string, float[]> Embeddings { get; }
    public Dictionary<string, float[]> Probs { get; }
    public string[] NotDecodable { get; }
    public double RecommendedMean { get; }
    public double RecommendedMin { get; }

    /// <summary>The shared mobilenet-v2-140 reference, or another file of the same layout (probs optional).</summary>
    public static ReferenceEmbeddings Load(string? path = null)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path ?? TestPaths.ReferenceFile("mobilenet-v2-140.json")));
        JsonElement header = doc.RootElement.GetProperty("header");
        JsonElement thresholds = header.GetProperty("recommended_thresholds");
        var embeddings = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var probs = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (JsonElement item in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            string file = item.GetProperty("file").GetString()!;
            embeddings[file] = item.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            if (item.TryGetProperty("probs", out JsonElement p)) probs[file] = p.EnumerateArray().Select(e => e.GetSingle()).ToArray();
        }
        string[] bad = header.GetProperty("not_decodable").EnumerateArray().Select(e => e.GetProperty("file").GetString()!).ToArray();
        return new ReferenceEmbeddings(embeddings, probs, bad, thresholds.GetProperty("mean").GetDouble(), thresholds.GetProperty("min").GetDouble());
    }

    public static string FullPath(string relative) => Path.Combine(TestPaths.Shared, "images", relative);
}
