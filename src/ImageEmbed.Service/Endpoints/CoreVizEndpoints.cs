using System.Text.Json;
using ImageEmbed.Application.Ingest;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Models;
using ImageEmbed.Models.Batching;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Errors;
using ImageEmbed.Storage.Keys;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace ImageEmbed.Service.Endpoints;

/// <summary><c>POST /api/ai/embeddings</c>, compatible with the CoreViz embeddings API, plus upload and raw-body forms.</summary>
internal static class CoreVizEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/ai/embeddings", EmbedAsync)
            .WithName("CreateImageEmbedding")
            .RequireScope(KeyScope.Embed)
            .WithSummary("Embed one image (JSON with an http(s) URL or data URI; multipart field 'image'; or a raw image/* body).")
            .WithDescription("Content types: application/json {\"image\", \"model\", \"encoding_format\"}; multipart/form-data with a file field 'image' (+ 'model'); or a raw image/* body with ?model=. The format is always recognised from the bytes.")
            .ProducesApiErrors();
    }

    /// <summary>Per-stage times as a standard <c>Server-Timing</c> header (browsers show it; the web UI draws it), leaving the body's shape alone.</summary>
    internal static string ServerTiming(EmbeddingTimings t) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"decode;dur={t.Decode.TotalMilliseconds:0.###}, preprocess;dur={t.Preprocess.TotalMilliseconds:0.###}, queue;dur={t.Queue.TotalMilliseconds:0.###}, inference;dur={t.Inference.TotalMilliseconds:0.###};desc=\"batch of {t.BatchSize}\"");

    private static async Task<Ok<CoreVizResponse>> EmbedAsync(HttpRequest request, ImageIngest ingest, ImagingOptions imaging, CancellationToken ct)
    {
        // One image: admitted before its body is read, so a refusal costs nothing.
        using ImageAdmission.Lease admitted = ingest.Engine.Admission.Admit(1);
        ImageEmbedding embedding;
        int? dimensions = null;
        EmbeddingEncoding encoding = EmbeddingJson.Parse(request.Query["encoding_format"].ToString() is { Length: > 0 } q ? q : null);
        MediaTypeHeaderValue.TryParse(request.ContentType, out MediaTypeHeaderValue? contentType);
        string mediaType = contentType?.MediaType.Value?.ToLowerInvariant() ?? "";
        if (mediaType is "application/json" or "" || mediaType.EndsWith("+json", StringComparison.Ordinal))
        {
            JsonElement body = await RequestBody.ReadJsonObjectAsync(request, ct);
            string? image = RequestBody.OptionalString(body, "image");
            if (string.IsNullOrWhiteSpace(image)) throw ApiException.BadRequest("Missing required field 'image' (an http(s) URL or a data:image/...;base64 URI).", "image");
            if (RequestBody.OptionalString(body, "encoding_format") is { } format) encoding = EmbeddingJson.Parse(format);
            // The model first, so that a bad model name costs no download.
            LoadedModel model = await ingest.ModelAsync(RequestBody.OptionalString(body, "model"));
            dimensions = RequestBody.Dimensions(body, model.Manifest); // as /v1/embeddings takes it
            embedding = await ingest.EmbedAsync(model, image, ct);
        }
        else if (mediaType == "multipart/form-data")
        {
            IFormCollection form = await RequestBody.ReadFormAsync(request, ct);
            IFormFile file = form.Files.GetFile("image") ?? throw ApiException.BadRequest("Missing file field 'image' in the multipart form.", "image");
            LoadedModel model = await ingest.ModelAsync(form["model"].ToString() is { Length: > 0 } m ? m : null);
            byte[] bytes;
            await using (Stream s = file.OpenReadStream()) bytes = await CappedReader.ReadAsync(s, file.Length, imaging.MaxBytes, ct);
            embedding = await ingest.EmbedAsync(model, bytes, ct);
        }
        else if (mediaType.StartsWith("image/", StringComparison.Ordinal) || mediaType == "application/octet-stream")
        {
            LoadedModel model = await ingest.ModelAsync(request.Query["model"].ToString() is { Length: > 0 } m ? m : null);
            byte[] bytes = await CappedReader.ReadAsync(request.Body, request.ContentLength, imaging.MaxBytes, ct);
            embedding = await ingest.EmbedAsync(model, bytes, ct);
        }
        else
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"Unsupported Content-Type '{request.ContentType}': send application/json, multipart/form-data with a field 'image', or a raw image/* body.");
        }
        request.HttpContext.Response.Headers[EmbeddingJson.SpaceHeader] = embedding.Space;
        request.HttpContext.Response.Headers["Server-Timing"] = ServerTiming(embedding.Timings);
        float[] vector = dimensions is int d ? VectorMath.Truncate(embedding.Vector, d) : embedding.Vector;
        return TypedResults.Ok(new CoreVizResponse(new EncodedEmbedding(vector, encoding), vector.Length, embedding.Model, embedding.Space));
    }
}
