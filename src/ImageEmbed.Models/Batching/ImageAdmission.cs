namespace ImageEmbed.Models.Batching;

/// <summary>
/// Bounds the images the engine holds at once, across requests and models (<see cref="ModelsOptions.QueueCapacity"/>):
/// a caller admits all its images before reading or decoding any of them, so work that cannot be taken whole is refused
/// at once, not after seconds of decoding, and what requests hold is bounded by what was admitted. Knows nothing of HTTP.
/// </summary>
/// <remarks>
/// A caller asking for more than the whole capacity is admitted alone (when nothing else is in flight), so a batch within
/// the service's per-request limits is never refused for good.
/// </remarks>
public sealed class ImageAdmission
{
    private readonly Func<int, TimeSpan> _drainEstimate;
    private int _inFlight;
    private long _admitted;
    private TaskCompletionSource _released = NewSignal();

    /// <param name="capacity">Images in flight at once.</param>
    /// <param name="drainEstimate">About how long the given number of the in-flight images take to finish.</param>
    public ImageAdmission(int capacity, Func<int, TimeSpan> drainEstimate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _drainEstimate = drainEstimate;
    }

    public int Capacity { get; }

    /// <summary>Images admitted and not yet released.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Images admitted since start: a change means work was done.</summary>
    public long Admitted => Interlocked.Read(ref _admitted);

    /// <summary>Admits <paramref name="images"/> now, or refuses them all.</summary>
    /// <exception cref="OverloadedException">They do not fit beside the images in flight; says when a retry has a chance.</exception>
    public Lease Admit(int images)
    {
        if (TryTake(images)) return new Lease(this, images);
        throw Refuse(images);
    }

    private OverloadedException Refuse(int images)
    {
        // Room for these images comes once that many of those in flight have finished, not all of them.
        int held = InFlight;
        TimeSpan wait = _drainEstimate(Math.Max(1, Math.Min(held + images - Capacity, held)));
        return new OverloadedException(
            $"{held} images are in progress and this request adds {images} (Models:QueueCapacity = {Capacity}); retry in about {wait.TotalSeconds:0} s.", wait);
    }

    /// <summary>
    /// Refuses at once when not even one more image fits: a caller that learns its count only from the body (a batch of
    /// inputs) calls this first, so a refusal does not cost reading and parsing the body.
    /// </summary>
    /// <exception cref="OverloadedException">The capacity is taken.</exception>
    public void ThrowIfFull()
    {
        if (InFlight >= Capacity) throw Refuse(1);
    }

    /// <summary>Waits until <paramref name="images"/> fit, then admits them: for background work (bulk jobs) that queues rather than fails.</summary>
    public async Task<Lease> AdmitAsync(int images, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Read the signal before trying: a release after a failed try completes it.
            Task released = Volatile.Read(ref _released).Task;
            if (TryTake(images)) return new Lease(this, images);
            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool TryTake(int images)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 0);
        while (true)
        {
            int held = Volatile.Read(ref _inFlight);
            if (held > 0 && held + images > Capacity) return false;
            if (Interlocked.CompareExchange(ref _inFlight, held + images, held) != held) continue;
            Interlocked.Add(ref _admitted, images);
            return true;
        }
    }

    private void Release(int images)
    {
        Interlocked.Add(ref _inFlight, -images);
        Interlocked.Exchange(ref _released, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Admitted images; disposing releases them (once).</summary>
    public sealed class Lease : IDisposable
    {
        private ImageAdmission? _owner;
        private readonly int _images;

        internal Lease(ImageAdmission owner, int images) => (_owner, _images) = (owner, images);

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_images);
    }
}
