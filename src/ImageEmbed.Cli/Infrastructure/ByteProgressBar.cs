using System.Diagnostics;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Cli.Infrastructure;

/// <summary>A download progress bar on stderr: file, bytes, rate and ETA; redrawn in place on a terminal, every 5 s otherwise.</summary>
internal sealed class ByteProgressBar(TextWriter output, bool interactive) : IProgress<PullProgress>
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastDraw = TimeSpan.FromDays(-1);

    public void Report(PullProgress value)
    {
        TimeSpan now = _clock.Elapsed;
        if (now - _lastDraw < (interactive ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5)) && value.BytesDone < value.BytesTotal) return;
        _lastDraw = now;
        double rate = value.BytesDone / Math.Max(now.TotalSeconds, 1e-3);
        double eta = rate > 0 ? (value.BytesTotal - value.BytesDone) / rate : 0;
        int filled = value.BytesTotal == 0 ? 30 : (int)(30 * value.BytesDone / value.BytesTotal);
        string line = $"{value.File} [{new string('#', filled)}{new string('-', 30 - filled)}] {Mb(value.BytesDone)}/{Mb(value.BytesTotal)} MB {Mb((long)rate)} MB/s ETA {TimeSpan.FromSeconds(eta):m\\:ss}";
        if (interactive) output.Write("\r\x1b[2K" + line);
        else output.WriteLine(line);
    }

    public void Finish()
    {
        if (interactive) output.Write("\r\x1b[2K");
    }

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
}
