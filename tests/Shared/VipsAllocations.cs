using ImageEmbed.Imaging.Vips;

namespace ImageEmbed.Tests;

internal static class VipsAllocations
{
    /// <summary>
    /// libvips' count of live allocations once it stops changing: its worker threads free their buffers
    /// a moment after a pipeline completes, so a leak check reads the count only when it has settled.
    /// </summary>
    public static int Settled()
    {
        int last = VipsRuntime.TrackedAllocations;
        for (int i = 0; i < 20; i++)
        {
            Thread.Sleep(50);
            int now = VipsRuntime.TrackedAllocations;
            if (now == last) return now;
            last = now;
        }
        return last;
    }
}
