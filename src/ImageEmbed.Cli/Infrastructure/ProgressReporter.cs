using System.Diagnostics;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>
/// A progress line on stderr: count, rate and ETA. Redrawn in place on a terminal at most ~10 times a
/// second; when stderr is redirected, one line every 5 seconds, so logs stay readable.
/// </summary>
internal sealed class ProgressReporter(string verb, int total, TextWriter output, bool interactive, bool enabled = true)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private int _failed;
    private TimeSpan _lastDraw = TimeSpan.FromDays(-1);

    public int Done => _done;
    public int Failed => _failed;
    public TimeSpan Elapsed => _clock.Elapsed;

    public void Advance(bool failed)
    {
        lock (_lock)
        {
            _done++;
            if (failed) _failed++;
            if (!enabled) return;
            TimeSpan now = _clock.Elapsed;
            TimeSpan every = interactive ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(5);
            if (now - _lastDraw < every && _done < total) return;
            _lastDraw = now;
            if (!interactive && _done == total) return; // the summary line says it
            Draw(now);
        }
    }

    /// <summary>Writes a message on its own line without garbling the progress bar.</summary>
    public void Message(string line)
    {
        lock (_lock)
        {
            if (interactive) output.Write("\r\x1b[2K");
            output.WriteLine(line);
            if (interactive && _done > 0 && _done < total) Draw(_clock.Elapsed);
        }
    }

    public void Finish()
    {
        lock (_lock)
        {
            if (interactive) output.Write("\r\x1b[2K");
        }
    }

    private void Draw(TimeSpan now)
    {
        double rate = _done / Math.Max(now.TotalSeconds, 1e-6);
        double etaSeconds = rate > 0 ? (total - _done) / rate : 0;
        const int width = 30;
        int filled = total == 0 ? width : (int)((long)_done * width / total);
        string bar = new string('#', filled) + new string('-', width - filled);
        string line = $"{verb} [{bar}] {_done}/{total} {rate:F1}/s ETA {FormatTime(etaSeconds)}" + (_failed > 0 ? $" ({_failed} failed)" : "");
        if (interactive) output.Write("\r\x1b[2K" + line);
        else output.WriteLine(line);
    }

    private static string FormatTime(double seconds) =>
        seconds >= 3600 ? TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss") : TimeSpan.FromSeconds(seconds).ToString(@"m\:ss");
}
