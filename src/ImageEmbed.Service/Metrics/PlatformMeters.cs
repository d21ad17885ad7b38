using System.Diagnostics.Metrics;
using System.Globalization;

namespace ImageEmbed.Service.Metrics;

/// <summary>
/// The runtime's own instrumentation — the <c>System.Runtime</c> meter (process memory and CPU, GC heap, collections
/// and pauses, thread pool, exceptions, ...) — read through a <see cref="MeterListener"/> and written in Prometheus
/// text on each scrape: dots become underscores, counters gain <c>_total</c>, tags become labels.
/// </summary>
internal sealed class PlatformMeters : IDisposable
{
    private const string RuntimeMeter = "System.Runtime";

    // Declared as counters by the runtime, but they go down as well as up: gauges to Prometheus.
    private static readonly HashSet<string> CurrentValues = ["dotnet.thread_pool.queue.length", "dotnet.thread_pool.thread.count"];

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<Instrument, Dictionary<string, double>> _values = [];

    public PlatformMeters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RuntimeMeter) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    public void WriteTo(TextWriter writer)
    {
        lock (_lock)
        {
            _listener.RecordObservableInstruments(); // observable instruments report now, into Record
            foreach ((Instrument instrument, Dictionary<string, double> series) in _values.OrderBy(kv => kv.Key.Name, StringComparer.Ordinal))
            {
                bool counter = instrument is ObservableCounter<long> or ObservableCounter<double> or ObservableCounter<int> or Counter<long> or Counter<double> or Counter<int>
                               && !CurrentValues.Contains(instrument.Name);
                string name = instrument.Name.Replace('.', '_') + (instrument.Unit is "s" or "By" ? instrument.Unit == "s" ? "_seconds" : "_bytes" : "") + (counter ? "_total" : "");
                if (instrument.Description is { Length: > 0 } help) writer.WriteLine($"# HELP {name} {help}");
                writer.WriteLine($"# TYPE {name} {(counter ? "counter" : "gauge")}");
                foreach ((string labels, double value) in series.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    writer.WriteLine($"{name}{labels} {value.ToString("R", CultureInfo.InvariantCulture)}");
            }
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = tags.Length == 0 ? "" : "{" + string.Join(',', tags.ToArray().Select(t => $"{t.Key.Replace('.', '_')}=\"{Escape(t.Value)}\"")) + "}";
        lock (_lock)
        {
            if (!_values.TryGetValue(instrument, out Dictionary<string, double>? series)) _values[instrument] = series = [];
            // Observable instruments report totals or current values; a plain counter reports increments to add up.
            series[labels] = instrument.IsObservable ? value : series.GetValueOrDefault(labels) + value;
        }
    }

    private static string Escape(object? value) =>
        Convert.ToString(value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) ?? "";

    public void Dispose() => _listener.Dispose();
}
