namespace ImageEmbed.Service.Metrics;

/// <summary>A Prometheus histogram over fixed buckets (seconds). Lock-free: one <see cref="Interlocked"/> add per observation.</summary>
internal sealed class Histogram
{
    /// <summary>0.5 ms to 30 s: covers a tiny decode through a slow remote download.</summary>
    public static readonly double[] DefaultBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly double[] _bounds;
    private readonly long[] _counts; // per bucket, not cumulative; the last one is +Inf
    private long _sumMicros;

    public Histogram(double[]? bounds = null)
    {
        _bounds = bounds ?? DefaultBuckets;
        _counts = new long[_bounds.Length + 1];
    }

    public void Observe(TimeSpan duration)
    {
        double seconds = duration.TotalSeconds;
        int i = 0;
        while (i < _bounds.Length && seconds > _bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumMicros, (long)(seconds * 1_000_000));
    }

    public void WriteTo(TextWriter writer, string name, string labels)
    {
        string sep = labels.Length > 0 ? "," : "";
        long cumulative = 0;
        for (int i = 0; i < _bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            writer.WriteLine($"{name}_bucket{{{labels}{sep}le=\"{_bounds[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}\"}} {cumulative}");
        }
        cumulative += Volatile.Read(ref _counts[^1]);
        writer.WriteLine($"{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}");
        writer.WriteLine($"{name}_sum{{{labels}}} {(Volatile.Read(ref _sumMicros) / 1e6).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
        writer.WriteLine($"{name}_count{{{labels}}} {cumulative}");
    }
}
