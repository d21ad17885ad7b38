using System.Text.Json;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Models;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Errors;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Service.Endpoints;

/// <summary><c>POST /v1/classify</c>: zero-shot tagging of one image against caller-given labels (CLIP-family models).</summary>
internal static class ClassifyEndpoints
{
    private const int MaxLabels = 256;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/classify", ClassifyAsync)
            .WithName("Classify")
            .RequireScope(KeyScope.Embed)
            .WithSummary("Zero-shot tagging: {\"image\", \"labels\": [...], \"model\", \"prompt_template\"} gives a score per label, highest first.")
            .Produces<ClassifyResponse>()
            .ProducesApiErrors();
    }

    public sealed record LabelScore(string Label, float Score);
    public sealed record ClassifyResponse(string Model, string Scoring, LabelScore[] Scores);

    private static async Task<ClassifyResponse> ClassifyAsync(HttpRequest request, ImageIngest ingest, CancellationToken ct)
    {
        using ImageAdmission.Lease admitted = ingest.Engine.Admission.Admit(1);
        JsonElement root = await RequestBody.ReadJsonObjectAsync(request, ct);
        string image = RequestBody.OptionalString(root, "image") is { Length: > 0 } i ? i : throw ApiException.BadRequest("Missing required field 'image' (an http(s) URL or a data:image/...;base64 URI).", "image");
        string[] labels = ReadLabels(root);
        LoadedModel model = await ingest.ModelAsync(RequestBody.OptionalString(root, "model"));
        var text = model.RequireText("score labels (zero-shot classification)");
        string template = RequestBody.OptionalString(root, "prompt_template") ?? text.Spec.PromptTemplate;
        if (!template.Contains("{label}", StringComparison.Ordinal))
            throw ApiException.BadRequest("'prompt_template' must contain {label}, e.g. \"a photo of a {label}\".", "prompt_template");

        Task<TextEmbeddings> prompts = ingest.Engine.EmbedTextsAsync(model, labels.Select(l => template.Replace("{label}", l, StringComparison.Ordinal)).ToArray(), ct);
        ImageEmbedding embedding = await ingest.EmbedAsync(model, image, ct);
        TextEmbeddings labelVectors = await prompts;
        float[] scores = ZeroShot.Scores(embedding.Vector, labelVectors.Vectors, text.Spec);
        LabelScore[] ranked = labels.Select((label, k) => new LabelScore(label, scores[k])).OrderByDescending(s => s.Score).ToArray();
        return new ClassifyResponse(model.Name, text.Spec.Scoring, ranked);
    }

    private static string[] ReadLabels(JsonElement root)
    {
        if (!root.TryGetProperty("labels", out JsonElement labels) || labels.ValueKind != JsonValueKind.Array || labels.GetArrayLength() == 0)
            throw ApiException.BadRequest("'labels' must be a non-empty array of strings.", "labels");
        if (labels.GetArrayLength() > MaxLabels)
            throw ApiException.BadRequest($"'labels' has {labels.GetArrayLength()} entries; at most {MaxLabels} are accepted.", "labels");
        string[] result = labels.EnumerateArray().Select(l => l.ValueKind == JsonValueKind.String && l.GetString() is { Length: > 0 } s
            ? s : throw ApiException.BadRequest("Every label must be a non-empty string.", "labels")).ToArray();
        // A repeated label would split its probability with itself (["cat", "cat"] -> 0.5 each).
        if (result.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw ApiException.BadRequest($"'labels' lists '{repeated.Key}' more than once; give each label once.", "labels");
        return result;
    }
}
