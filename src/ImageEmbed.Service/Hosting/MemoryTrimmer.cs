using System.Runtime.InteropServices;
using ImageEmbed.Models;
using ImageEmbed.Service.Limits;

namespace ImageEmbed.Service.Hosting;

/// <summary>
/// Gives memory back after a burst. Without it a process keeps its peak: the GC has no reason to collect while nothing
/// allocates, and glibc keeps the native heap that libvips and ONNX Runtime freed. Once images have been admitted and
/// then none has been in flight for <see cref="Quiet"/>, it runs one compacting, decommitting collection and
/// <c>malloc_trim</c>: about 100 ms of one core, once per burst, when nothing is waiting (docs/BENCHMARKS.md has the
/// before and after).
/// </summary>
internal sealed partial class MemoryTrimmer(EmbeddingEngine engine, BodyBudget bodies, ILogger<MemoryTrimmer> logger) : BackgroundService
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(5);
    private static bool s_mallocTrim = OperatingSystem.IsLinux();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long trimmedAt = engine.Admission.Admitted, seen = trimmedAt;
        DateTime changedAt = DateTime.UtcNow;
        while (await tick.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            long admitted = engine.Admission.Admitted;
            if (admitted != seen || engine.Admission.InFlight > 0 || bodies.Held > 0)
            {
                (seen, changedAt) = (admitted, DateTime.UtcNow);
                continue;
            }
            if (admitted == trimmedAt || DateTime.UtcNow - changedAt < Quiet) continue;
            trimmedAt = admitted;
            Trim();
        }
    }

    private void Trim()
    {
        long before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (s_mallocTrim)
        {
            try
            {
                _ = MallocTrim(0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                s_mallocTrim = false; // not glibc (musl): the collection alone
            }
        }
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        Log.Trimmed(logger, before >> 20, Environment.WorkingSet >> 20, info.TotalCommittedBytes >> 20);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Memory trimmed after a burst: {Before} MiB -> {After} MiB resident ({Managed} MiB of it the managed heap)")]
        public static partial void Trimmed(ILogger logger, long before, long after, long managed);
    }
}
