using ImageEmbed.Storage.Jobs;

namespace ImageEmbed.Storage.Tests;

public sealed class JobStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-jobstore-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Outcomes_SurviveReopen_PendingResumesWhereItStopped()
    {
        string id;
        using (JobStore jobs = JobStore.Open(_dir))
        {
            JobInfo job = jobs.Create(null, "m", Enumerable.Range(0, 5).Select(i => new JobItemSpec($"http://x.example/{i}.jpg", $"item-{i}")).ToList());
            id = job.Id;
            Assert.Equal((JobStates.Queued, 5, 0, 0, 5), (job.State, job.Total, job.Succeeded, job.Failed, job.Pending));
            jobs.SetState(id, JobStates.Running);
            jobs.Complete(id, [new JobItemOutcome(0, [0.6f, 0.8f]), new JobItemOutcome(1, null, 422, "not an image")], keepVectors: true);
        }

        using (JobStore reopened = JobStore.Open(_dir))
        {
            JobInfo job = reopened.Get(id)!;
            Assert.Equal((JobStates.Running, 1, 1, 3), (job.State, job.Succeeded, job.Failed, job.Pending));
            Assert.Equal(job.Id, reopened.NextUnfinished()!.Id);
            Assert.Equal([2, 3, 4], reopened.Pending(id, 10).Select(p => p.Index));
            JobItemError error = Assert.Single(reopened.Errors(id, 10));
            Assert.Equal((1, "item-1", 422, "not an image"), (error.Index, error.Id, error.Status, error.Message));
            JobResult result = Assert.Single(reopened.Results(id));
            Assert.Equal([0.6f, 0.8f], result.Vector);
        }
    }

    [Fact]
    public void SetState_CancelledJob_StaysCancelled()
    {
        using JobStore jobs = JobStore.Open(_dir);
        JobInfo job = jobs.Create("c", "m", [new JobItemSpec("http://x.example/a.jpg", "a")]);
        Assert.Equal(JobStates.Cancelled, jobs.SetState(job.Id, JobStates.Cancelled)!.State);
        Assert.Equal(JobStates.Cancelled, jobs.SetState(job.Id, JobStates.Running)!.State);
        Assert.Null(jobs.NextUnfinished());
        Assert.Null(jobs.Get("job_missing"));
    }
}
