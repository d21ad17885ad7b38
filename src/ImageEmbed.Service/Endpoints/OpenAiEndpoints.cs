using System.Text.Json;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Models;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Errors;
using ImageEmbed.Storage.Keys;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageEmbed.Service.Endpoints;

/// <summary><c>POST /v1/embeddings</c> and <c>GET /v1/models</c>, compatible with OpenAI clients.</summary>
internal static class OpenAiEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/embeddings", EmbedAsync)
            .WithName("CreateEmbeddings")
            .WithSummary("OpenAI-style embeddings for images (URLs, data URIs, bytes) and, with CLIP-family models, text.")
            .RequireScope(KeyScope.Embed)
            .WithDescription("Body: {\"input\": string | string[] | [{\"image\"} | {\"text\"}] | image bytes as [0..255], \"model\", \"encoding_format\": float|base64|int8|uint8|binary|ubinary, \"dimensions\", \"modality\": image|text}.")
            .ProducesApiErrors();
        app.MapGet("/v1/models", ListModels)
            .WithName("ListModels")
            .WithSummary("Installed models: id, dimensions, modalities.")
            .RequireScope(KeyScope.Embed)
            .Produces<ModelList>();
    }

    public sealed record ModelInfo(string Id, string Object, long Created, string OwnedBy, int Dimensions, string[] Modalities, bool Default, bool Loaded);
    public sealed record ModelList(string Object, ModelInfo[] Data);

    private static async Task<Ok<OpenAiResponse>> EmbedAsync(HttpContext context, ImageIngest ingest, ServiceOptions options, CancellationToken ct)
    {
        ingest.Engine.Admission.ThrowIfFull(); // before the body: a refusal then costs nothing
        JsonElement root = await RequestBody.ReadJsonObjectAsync(context.Request, ct);
        if (!root.TryGetProperty("input", out JsonElement input) || input.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("Missing required field 'input'.", "input");
        string? modality = RequestBody.OptionalString(root, "modality");
        if (modality is not (null or "image" or "text"))
            throw ApiException.BadRequest($"'modality' must be \"image\" or \"text\" (was \"{modality}\").", "modality");
        // "embedding_type" is the name some hosted APIs use for the same choice.
        EmbeddingEncoding encoding = EmbeddingJson.Parse(RequestBody.OptionalString(root, "encoding_format") ?? RequestBody.OptionalString(root, "embedding_type"));

        LoadedModel model = await ingest.ModelAsync(RequestBody.OptionalString(root, "model"));
        int? dimensions = RequestBody.Dimensions(root, model.Manifest);
        List<EmbeddingInput> items = EmbeddingInput.Parse(input, modality, options.MaxInputsPerRequest);
        string[] texts = items.OfType<EmbeddingInput.Text>().Select(t => t.Value).ToArray();
        if (texts.Length > 0) model.RequireText("embed text (to send an image URL as a plain string, add \"modality\": \"image\")");

        // All the request's images are admitted, or none: a batch that cannot be taken whole is refused before any work.
        using ImageAdmission.Lease admitted = ingest.Engine.Admission.Admit(items.Count - texts.Length);
        // Images go to the engine all at once, so that they share inference batches; texts run as one batch.
        Task<TextEmbeddings>? textTask = texts.Length > 0 ? ingest.Engine.EmbedTextsAsync(model, texts, ct) : null;
        Task<ImageEmbedding>?[] imageTasks = items.Select(item => item switch
        {
            EmbeddingInput.ImageReference r => ingest.EmbedAsync(model, r.Reference, ct),
            EmbeddingInput.ImageBytes b => ingest.EmbedAsync(model, b.Bytes, ct),
            _ => null,
        }).ToArray();
        try
        {
            await Task.WhenAll(imageTasks.OfType<Task>().Append(textTask ?? Task.CompletedTask));
        }
        catch
        {
            // Report the first failing item by its index, with the status its own failure maps to.
            for (int i = 0; i < imageTasks.Length; i++)
            {
                if (imageTasks[i]?.Exception?.InnerException is not { } e) continue;
                if (ErrorMapping.Map(e) is not { } error) throw e;
                throw new ApiException(error.Status, items.Count > 1 ? $"input[{i}]: {error.Message}" : error.Message, error.Param ?? "input");
            }
            throw;
        }

        float[][] vectors = new float[items.Count][];
        for (int i = 0, t = 0; i < items.Count; i++)
            vectors[i] = imageTasks[i] is { } image ? image.Result.Vector : textTask!.Result.Vectors[t++];
        int tokens = textTask?.Result.Tokens ?? 0;

        var data = new OpenAiEmbedding[vectors.Length];
        for (int i = 0; i < vectors.Length; i++)
        {
            float[] vector = dimensions is int d && d != vectors[i].Length ? VectorMath.Truncate(vectors[i], d) : vectors[i];
            data[i] = new OpenAiEmbedding("embedding", i, new EncodedEmbedding(vector, encoding));
        }
        context.Response.Headers[EmbeddingJson.SpaceHeader] = model.Space;
        return TypedResults.Ok(new OpenAiResponse("list", data, model.Name, model.Space, new OpenAiUsage(tokens, tokens)));
    }

    private static ModelList ListModels(EmbeddingEngine engine)
    {
        string defaultName = engine.Registry.ResolveName(null);
        HashSet<string> loaded = engine.Loaded.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        ModelInfo[] data = engine.Registry.ListInstalled().Select(m => new ModelInfo(
            m.Name, "model", new DateTimeOffset(File.GetLastWriteTimeUtc(m.ImageEncoderPath)).ToUnixTimeSeconds(), "imageembed",
            m.Manifest.Dimensions, m.Manifest.Modalities, m.Name == defaultName, loaded.Contains(m.Name))).ToArray();
        return new ModelList("list", data);
    }
}
