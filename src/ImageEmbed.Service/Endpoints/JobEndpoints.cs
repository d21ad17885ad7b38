using System.Text.Json;
using ImageEmbed.Models;
using ImageEmbed.Service.Auth;
using ImageEmbed.Service.Errors;
using ImageEmbed.Storage.Keys;
using ImageEmbed.Service.Hosting;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Jobs;

namespace ImageEmbed.Service.Endpoints;

/// <summary>
/// <c>/v1/jobs</c>: asynchronous bulk embedding of URL lists, into a collection or kept with the job.
/// Jobs are stored in the data folder and survive restarts; progress and per-item errors are read back
/// with GET; DELETE (or POST .../cancel) cancels.
/// </summary>
internal static class JobEndpoints
{
    private const int MaxErrorsShown = 1000;

    public static void Map(IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/v1/jobs").WithTags("Jobs").RequireScope(KeyScope.Write);
        group.MapPost("", CreateAsync).WithName("CreateJob").WithSummary("Start a bulk job: {\"urls\": [...]} or {\"items\": [{\"url\", \"id\", \"metadata\"}]}, optional \"collection\" and \"model\". 202 with the job.").ProducesApiErrors();
        group.MapGet("", List).WithName("ListJobs");
        group.MapGet("/{id}", Get).WithName("GetJob").WithSummary("Progress and per-item errors.").ProducesApiErrors();
        group.MapDelete("/{id}", Cancel).WithName("CancelJob").WithSummary("Cancel a job (items done so far stay done).").ProducesApiErrors();
        group.MapPost("/{id}/cancel", Cancel).WithName("CancelJobPost").ProducesApiErrors();
        group.MapGet("/{id}/results", Results).WithName("GetJobResults").WithSummary("Embeddings of a job without a collection.").ProducesApiErrors();
    }

    public sealed record JobErrorResponse(int Index, string Url, string Id, int Status, string Message);
    public sealed record JobResponse(string Id, string State, string? Collection, string Model, DateTimeOffset Created, DateTimeOffset Updated,
        int Total, int Succeeded, int Failed, int Pending, double Progress, JobErrorResponse[]? Errors, bool? ErrorsTruncated);
    public sealed record JobList(JobResponse[] Jobs);
    public sealed record JobResultItem(int Index, string Url, string Id, float[] Embedding);
    public sealed record JobResults(string Id, string Model, JobResultItem[] Results);

    private static async Task<IResult> CreateAsync(HttpRequest request, JobStore jobs, JobRunner runner, CollectionStoreProvider stores, EmbeddingEngine engine, ServiceOptions options, CancellationToken ct)
    {
        JsonElement root = await RequestBody.ReadJsonObjectAsync(request, ct);
        string? collectionName = RequestBody.OptionalString(root, "collection");
        string? model = RequestBody.OptionalString(root, "model");
        List<JobItemSpec> items = ReadItems(root, options.MaxJobItems);

        string resolvedModel;
        if (collectionName is not null)
        {
            CollectionInfo collection = await (await stores.GetAsync()).GetCollectionAsync(collectionName, ct) ?? throw new CollectionNotFoundException(collectionName);
            if (model is not null && (await engine.LoadAsync(model)).Name != collection.Model)
                throw new CollectionConflictException($"Collection '{collection.Name}' holds vectors of model '{collection.Model}'; leave out 'model' or give that one.");
            resolvedModel = collection.Model;
        }
        else
        {
            resolvedModel = (await engine.LoadAsync(model)).Name; // a bad model name is a 400 now, not 10,000 failed items later
        }
        JobInfo job = jobs.Create(collectionName, resolvedModel, items);
        runner.Wake();
        return TypedResults.Accepted($"/v1/jobs/{job.Id}", Describe(job, []));
    }

    private static JobList List(JobStore jobs) => new(jobs.List().Select(j => Describe(j, null)).ToArray());

    private static JobResponse Get(string id, JobStore jobs)
    {
        JobInfo job = jobs.Get(id) ?? throw NoJob(id);
        return Describe(job, jobs.Errors(id, MaxErrorsShown + 1));
    }

    private static JobResponse Cancel(string id, JobStore jobs, JobRunner runner)
    {
        JobInfo job = jobs.Get(id) ?? throw NoJob(id);
        if (job.State == JobStates.Completed)
            throw new ApiException(StatusCodes.Status409Conflict, $"Job '{id}' has already completed; there is nothing to cancel.", "id");
        job = jobs.SetState(id, JobStates.Cancelled)!;
        runner.Cancelled(id);
        return Describe(job, jobs.Errors(id, MaxErrorsShown + 1));
    }

    private static JobResults Results(string id, JobStore jobs)
    {
        JobInfo job = jobs.Get(id) ?? throw NoJob(id);
        if (job.Collection is not null)
            throw ApiException.BadRequest($"Job '{id}' stores its embeddings in collection '{job.Collection}'; read them there (GET /v1/collections/{job.Collection}/items/{{id}}).", "id");
        return new JobResults(id, job.Model, jobs.Results(id).Select(r => new JobResultItem(r.Index, r.Url, r.Id, r.Vector)).ToArray());
    }

    private static List<JobItemSpec> ReadItems(JsonElement root, int max)
    {
        bool hasUrls = root.TryGetProperty("urls", out JsonElement urls) && urls.ValueKind != JsonValueKind.Null;
        bool hasItems = root.TryGetProperty("items", out JsonElement items) && items.ValueKind != JsonValueKind.Null;
        if (hasUrls == hasItems)
            throw ApiException.BadRequest("Give exactly one of 'urls' (an array of image URLs) or 'items' (an array of {\"url\", \"id\", \"metadata\"}).");
        JsonElement list = hasUrls ? urls : items;
        string field = hasUrls ? "urls" : "items";
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0) throw ApiException.BadRequest($"'{field}' must be a non-empty array.", field);
        if (list.GetArrayLength() > max) throw ApiException.BadRequest($"'{field}' has {list.GetArrayLength()} entries; at most {max} per job (Service:MaxJobItems).", field);

        var specs = new List<JobItemSpec>(list.GetArrayLength());
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int i = 0;
        foreach (JsonElement e in list.EnumerateArray())
        {
            string at = $"{field}[{i}]";
            string url;
            string? id = null;
            JsonElement? metadata = null;
            if (hasUrls)
            {
                url = e.ValueKind == JsonValueKind.String ? e.GetString()! : throw ApiException.BadRequest($"{at} must be a URL string.", field);
            }
            else
            {
                if (e.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest($"{at} must be an object {{\"url\", \"id\", \"metadata\"}}.", field);
                url = RequestBody.OptionalString(e, "url") ?? throw ApiException.BadRequest($"{at} needs a 'url'.", field);
                id = RequestBody.OptionalString(e, "id");
                if (e.TryGetProperty("metadata", out JsonElement m) && m.ValueKind != JsonValueKind.Null)
                    metadata = m.ValueKind == JsonValueKind.Object ? m.Clone() : throw ApiException.BadRequest($"{at}: 'metadata' must be a JSON object.", field);
            }
            // Only the shape is checked now; the address is checked (and refused if private) when fetched,
            // on every redirect, as for any request.
            if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("http" or "https"))
                throw ApiException.BadRequest($"{at} is not an http(s) URL{(url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? " (jobs take URLs; send data URIs to /v1/collections/{name}/items)" : "")}.", field);
            id ??= url.Trim();
            try { CollectionNames.ValidateId(id); }
            catch (InvalidStoreRequestException ex) { throw ApiException.BadRequest($"{at}: {ex.Message}", field); }
            if (!ids.Add(id)) throw ApiException.BadRequest($"{at}: the id '{id}' appears twice in this job.", field);
            specs.Add(new JobItemSpec(url.Trim(), id, metadata));
            i++;
        }
        return specs;
    }

    private static JobResponse Describe(JobInfo j, IReadOnlyList<JobItemError>? errors) => new(
        j.Id, j.State, j.Collection, j.Model, j.Created, j.Updated, j.Total, j.Succeeded, j.Failed, j.Pending,
        j.Total == 0 ? 1 : Math.Round((double)(j.Succeeded + j.Failed) / j.Total, 4),
        errors?.Take(MaxErrorsShown).Select(e => new JobErrorResponse(e.Index, e.Url, e.Id, e.Status, e.Message)).ToArray(),
        errors is null ? null : errors.Count > MaxErrorsShown);

    private static ApiException NoJob(string id) => new(StatusCodes.Status404NotFound, $"No job '{id}'.", "id");
}
