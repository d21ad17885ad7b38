using ImageEmbed.Application.Ingest;
using ImageEmbed.Models;
using ImageEmbed.Models.Batching;
using ImageEmbed.Service.Errors;
using ImageEmbed.Storage;
using ImageEmbed.Storage.Jobs;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// Runs bulk jobs (<c>/v1/jobs</c>) one at a time, oldest first, in chunks of items fetched and embedded
/// concurrently (through the same SSRF-safe fetcher and micro-batcher as requests). Each chunk's
/// vectors are upserted into the job's collection before their outcomes are recorded, so a crash
/// between the two only repeats an idempotent upsert. On start it resumes jobs that were queued or
/// running when the process stopped.
/// </summary>
internal sealed partial class JobRunner(JobStore jobs, ImageIngest ingest, CollectionStoreProvider stores, ILogger<JobRunner> logger) : BackgroundService
{
    private const int Chunk = 16;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _lock = new();
    private (string Id, CancellationTokenSource Cancel)? _running;

    /// <summary>A job was created: look for work now rather than at the next poll.</summary>
    public void Wake() => _wake.Release();

    /// <summary>A job was cancelled: stop its chunk in flight (those items stay undone).</summary>
    public void Cancelled(string id)
    {
        lock (_lock)
            if (_running is { } r && r.Id == id) r.Cancel.Cancel();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (jobs.NextUnfinished() is { } job) await RunAsync(job, stoppingToken);
                else await _wake.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return; // the job stays 'running' and resumes on the next start
            }
            catch (Exception e)
            {
                Log.RunnerFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task RunAsync(JobInfo job, CancellationToken stoppingToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        lock (_lock) _running = (job.Id, cancel);
        try
        {
            if (jobs.SetState(job.Id, JobStates.Running) is not { State: JobStates.Running }) return;
            Log.Started(logger, job.Id, job.Total - job.Pending, job.Total);
            ICollectionStore? store = job.Collection is null ? null : await stores.GetAsync();
            while (true)
            {
                IReadOnlyList<PendingJobItem> chunk = jobs.Pending(job.Id, Chunk);
                if (chunk.Count == 0)
                {
                    JobInfo? done = jobs.SetState(job.Id, JobStates.Completed);
                    if (done is not null) Log.Finished(logger, job.Id, done.State, done.Succeeded, done.Failed);
                    return;
                }
                CollectionInfo? collection = null;
                if (store is not null && job.Collection is not null)
                    collection = await store.GetCollectionAsync(job.Collection, cancel.Token);
                JobItemOutcome[] outcomes;
                try
                {
                    // Resolved once per chunk (in the collection's space): the chunk's items all use it, and a failure here
                    // fails each item with its status.
                    Task<LoadedModel> model = collection is null ? ingest.ModelAsync(job.Model) : ingest.ModelForAsync(collection);
                    outcomes = await Task.WhenAll(chunk.Select(item => ProcessAsync(job, collection, model, item, cancel.Token)));
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                {
                    return; // cancelled through the API: the state already says so
                }
                if (store is not null && collection is not null)
                {
                    var items = outcomes.Where(o => o.Item is not null).Select(o => o.Item!).ToList();
                    if (items.Count > 0) await store.UpsertAsync(collection.Name, items, stoppingToken);
                }
                jobs.Complete(job.Id, outcomes, keepVectors: job.Collection is null);
            }
        }
        finally
        {
            lock (_lock) _running = null;
        }
    }

    private async Task<JobItemOutcome> ProcessAsync(JobInfo job, CollectionInfo? collection, Task<LoadedModel> loading, PendingJobItem item, CancellationToken ct)
    {
        if (job.Collection is not null && collection is null)
            return new JobItemOutcome(item.Index, null, 404, $"No collection named '{job.Collection}' (deleted while the job ran).");
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                LoadedModel model = await loading;
                // A job waits its turn among the images in flight instead of being refused like a request.
                using ImageAdmission.Lease admitted = await ingest.Engine.Admission.AdmitAsync(1, ct);
                if (collection is null)
                    return new JobItemOutcome(item.Index, (await ingest.EmbedAsync(model, item.Url, ct)).Vector);
                // Into a collection: the ingest path (content cache, fingerprint).
                ImageContent content = ImageContent.Of(await ingest.ReadAsync(item.Url, ct));
                CollectionItem stored = await ingest.ItemAsync(model, item.Id, content, item.Metadata, item.Url, ct);
                return new JobItemOutcome(item.Index, stored.Vector) { Item = stored };
            }
            catch (OverloadedException) when (attempt < 5)
            {
                // Requests take precedence over jobs: wait for the queue to drain rather than fail the item.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException && ErrorMapping.Map(e) is { } error)
            {
                return new JobItemOutcome(item.Index, null, error.Status, error.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Job {Job} running ({Done} of {Total} items already done).")]
        public static partial void Started(ILogger logger, string job, int done, int total);

        [LoggerMessage(EventId = 61, Level = LogLevel.Information, Message = "Job {Job} {State}: {Succeeded} succeeded, {Failed} failed.")]
        public static partial void Finished(ILogger logger, string job, string state, int succeeded, int failed);

        [LoggerMessage(EventId = 62, Level = LogLevel.Error, Message = "The job runner failed; retrying.")]
        public static partial void RunnerFailed(ILogger logger, Exception exception);
    }
}
