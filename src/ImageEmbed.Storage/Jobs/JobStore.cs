using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ImageEmbed.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace ImageEmbed.Storage.Jobs;

/// <summary>
/// Bulk jobs, persisted in <c>jobs.db</c> (SQLite, WAL, <c>synchronous=FULL</c>) in the data folder, so a
/// job survives a restart and goes on where it stopped: every item's outcome is written as it completes.
/// All access is serialized through one connection (job bookkeeping is small next to embedding).
/// Thread-safe. Knows nothing of HTTP or of how items are embedded.
/// </summary>
public sealed class JobStore : IDisposable
{
    public const string FileName = "jobs.db";

    private readonly SqliteDatabase _db;
    private readonly Lock _lock = new();

    private JobStore(SqliteDatabase db) => _db = db;

    public static JobStore Open(string dataDirectory)
    {
        PrivateFiles.CreateFolder(dataDirectory);
        SqliteDatabase db = SqliteDatabase.Open(Path.Combine(dataDirectory, FileName), """
            CREATE TABLE IF NOT EXISTS jobs (
                id TEXT PRIMARY KEY, state TEXT NOT NULL, collection TEXT, model TEXT NOT NULL,
                created TEXT NOT NULL, updated TEXT NOT NULL, total INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS job_items (
                job TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
                url TEXT NOT NULL, item_id TEXT NOT NULL, metadata TEXT,
                status TEXT NOT NULL DEFAULT 'pending', error_status INTEGER, error TEXT, vector BLOB,
                PRIMARY KEY (job, idx)) WITHOUT ROWID;
        """);
        return new JobStore(db);
    }

    /// <summary>Stores a new queued job with its items, all or nothing.</summary>
    public JobInfo Create(string? collection, string model, IReadOnlyList<JobItemSpec> items)
    {
        string id = "job_" + Guid.NewGuid().ToString("N")[..20];
        string now = Now();
        lock (_lock)
        {
            _db.InTransaction(() =>
            {
                using (SqliteStatement job = _db.Prepare("INSERT INTO jobs (id, state, collection, model, created, updated, total) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"))
                    job.Bind(1, id).Bind(2, JobStates.Queued).Bind(3, collection).Bind(4, model).Bind(5, now).Bind(6, items.Count).Step();
                using SqliteStatement insert = _db.Prepare("INSERT INTO job_items (job, idx, url, item_id, metadata) VALUES (?1, ?2, ?3, ?4, ?5)");
                for (int i = 0; i < items.Count; i++)
                {
                    insert.Reset();
                    insert.Bind(1, id).Bind(2, i).Bind(3, items[i].Url).Bind(4, items[i].Id).Bind(5, items[i].Metadata?.GetRawText());
                    insert.Step();
                }
            });
            return GetLocked(id)!;
        }
    }

    public JobInfo? Get(string id)
    {
        lock (_lock) return GetLocked(id);
    }

    /// <summary>How many jobs are in each state (states with none are left out).</summary>
    public IReadOnlyDictionary<string, long> CountByState()
    {
        lock (_lock)
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            using SqliteStatement s = _db.Prepare("SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state");
            while (s.Step()) counts[s.GetText(0)!] = s.GetInt64(1);
            return counts;
        }
    }

    /// <summary>Every job, newest first.</summary>
    public IReadOnlyList<JobInfo> List()
    {
        lock (_lock)
        {
            var ids = new List<string>();
            using (SqliteStatement s = _db.Prepare("SELECT id FROM jobs ORDER BY created DESC, id"))
                while (s.Step()) ids.Add(s.GetText(0)!);
            return ids.Select(GetLocked).OfType<JobInfo>().ToList();
        }
    }

    /// <summary>The oldest job that is queued or was running when the process stopped.</summary>
    public JobInfo? NextUnfinished()
    {
        lock (_lock)
        {
            using SqliteStatement s = _db.Prepare("SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY created, id LIMIT 1");
            return s.Step() ? GetLocked(s.GetText(0)!) : null;
        }
    }

    /// <summary>Up to <paramref name="limit"/> items not done yet, in order.</summary>
    public IReadOnlyList<PendingJobItem> Pending(string job, int limit)
    {
        lock (_lock)
        {
            using SqliteStatement s = _db.Prepare("SELECT idx, url, item_id, metadata FROM job_items WHERE job = ?1 AND status = 'pending' ORDER BY idx LIMIT ?2");
            s.Bind(1, job).Bind(2, limit);
            var items = new List<PendingJobItem>();
            while (s.Step())
            {
                string? metadata = s.GetText(3);
                items.Add(new PendingJobItem((int)s.GetInt64(0), s.GetText(1)!, s.GetText(2)!, metadata is null ? null : JsonDocument.Parse(metadata).RootElement.Clone()));
            }
            return items;
        }
    }

    /// <summary>Records outcomes durably, in one transaction. <paramref name="keepVectors"/>: store the vectors (embed-only jobs).</summary>
    public void Complete(string job, IReadOnlyList<JobItemOutcome> outcomes, bool keepVectors)
    {
        lock (_lock)
        {
            _db.InTransaction(() =>
            {
                using SqliteStatement update = _db.Prepare("UPDATE job_items SET status = ?3, error_status = ?4, error = ?5, vector = ?6 WHERE job = ?1 AND idx = ?2");
                foreach (JobItemOutcome o in outcomes)
                {
                    update.Reset();
                    update.Bind(1, job).Bind(2, o.Index).Bind(3, o.Vector is null ? "error" : "ok");
                    if (o.Vector is null) update.Bind(4, o.ErrorStatus).Bind(5, o.Error).BindNull(6);
                    else
                    {
                        update.BindNull(4).BindNull(5);
                        if (keepVectors) update.Bind(6, MemoryMarshal.AsBytes(o.Vector.AsSpan())); else update.BindNull(6);
                    }
                    update.Step();
                }
                Touch(job);
            });
        }
    }

    /// <summary>Moves a job to <paramref name="state"/> unless it is already finished (a cancel is never undone).</summary>
    /// <returns>The job as it is now; null when there is no such job.</returns>
    public JobInfo? SetState(string job, string state)
    {
        lock (_lock)
        {
            using (SqliteStatement s = _db.Prepare("UPDATE jobs SET state = ?2, updated = ?3 WHERE id = ?1 AND state NOT IN ('completed', 'cancelled')"))
                s.Bind(1, job).Bind(2, state).Bind(3, Now()).Step();
            return GetLocked(job);
        }
    }

    /// <summary>The first <paramref name="limit"/> failed items, in order.</summary>
    public IReadOnlyList<JobItemError> Errors(string job, int limit)
    {
        lock (_lock)
        {
            using SqliteStatement s = _db.Prepare("SELECT idx, url, item_id, error_status, error FROM job_items WHERE job = ?1 AND status = 'error' ORDER BY idx LIMIT ?2");
            s.Bind(1, job).Bind(2, limit);
            var errors = new List<JobItemError>();
            while (s.Step()) errors.Add(new JobItemError((int)s.GetInt64(0), s.GetText(1)!, s.GetText(2)!, (int)s.GetInt64(3), s.GetText(4) ?? ""));
            return errors;
        }
    }

    /// <summary>The vectors of an embed-only job's succeeded items, in order.</summary>
    public IReadOnlyList<JobResult> Results(string job)
    {
        lock (_lock)
        {
            using SqliteStatement s = _db.Prepare("SELECT idx, url, item_id, vector FROM job_items WHERE job = ?1 AND status = 'ok' AND vector IS NOT NULL ORDER BY idx");
            s.Bind(1, job);
            var results = new List<JobResult>();
            while (s.Step()) results.Add(new JobResult((int)s.GetInt64(0), s.GetText(1)!, s.GetText(2)!, MemoryMarshal.Cast<byte, float>(s.GetBlob(3)).ToArray()));
            return results;
        }
    }

    public void Dispose() => _db.Dispose();

    private JobInfo? GetLocked(string id)
    {
        using SqliteStatement s = _db.Prepare("""
            SELECT j.state, j.collection, j.model, j.created, j.updated, j.total,
                   (SELECT count(*) FROM job_items WHERE job = j.id AND status = 'ok'),
                   (SELECT count(*) FROM job_items WHERE job = j.id AND status = 'error')
            FROM jobs j WHERE j.id = ?1
            """);
        s.Bind(1, id);
        if (!s.Step()) return null;
        int total = (int)s.GetInt64(5), ok = (int)s.GetInt64(6), failed = (int)s.GetInt64(7);
        return new JobInfo(id, s.GetText(0)!, s.IsNull(1) ? null : s.GetText(1), s.GetText(2)!,
            DateTimeOffset.Parse(s.GetText(3)!, CultureInfo.InvariantCulture), DateTimeOffset.Parse(s.GetText(4)!, CultureInfo.InvariantCulture),
            total, ok, failed, total - ok - failed);
    }

    private void Touch(string job)
    {
        using SqliteStatement s = _db.Prepare("UPDATE jobs SET updated = ?2 WHERE id = ?1");
        s.Bind(1, job).Bind(2, Now()).Step();
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
}
