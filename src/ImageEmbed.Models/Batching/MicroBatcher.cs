using System.Diagnostics;
using System.Threading.Channels;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Sessions;

namespace ImageEmbed.Models.Batching;

/// <summary>
/// Collects concurrent requests for one model into batches: a batch runs when it holds
/// <c>maxBatchSize</c> images or when <c>maxBatchDelay</c> has passed since its first image arrived.
/// <c>runners</c> batches may run at once (each on its own thread, sharing the session, which ONNX Runtime
/// allows); with one per core and one intra-op thread each, small models avoid the cost of splitting
/// every operator across threads.
/// The queue is bounded; when it is full, <see cref="EmbedAsync"/> refuses with <see cref="OverloadedException"/>
/// instead of letting memory grow. Knows nothing of HTTP.
/// </summary>
public sealed class MicroBatcher : IAsyncDisposable
{
    private readonly ImageEncoder _encoder;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxBatchDelay;
    private readonly int _capacity;
    private readonly Channel<Request> _queue;
    private readonly Task _loop;
    private readonly long[] _batchStartedAt; // per runner: Stopwatch timestamp while a batch runs, 0 while idle
    private long _batchesRun;
    private double _secondsPerImage; // recent inference time per image (moving average), for the overload's retry estimate

    public MicroBatcher(ImageEncoder encoder, int maxBatchSize, TimeSpan maxBatchDelay, int queueCapacity, int runners = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runners, 1);
        _encoder = encoder;
        _maxBatchSize = maxBatchSize;
        _maxBatchDelay = maxBatchDelay;
        _capacity = queueCapacity;
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = runners == 1,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: "full" means refuse
        });
        _batchStartedAt = new long[runners];
        _loop = Task.WhenAll(Enumerable.Range(0, runners).Select(r => Task.Run(() => RunLoopAsync(r))));
    }

    /// <summary>Most images run at once (set, or chosen by <see cref="BatchSizeCalibration"/>).</summary>
    public int MaxBatchSize => _maxBatchSize;

    /// <summary>Batches that may run at once.</summary>
    public int Runners => _batchStartedAt.Length;

    /// <summary>Images waiting for a batch.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>Batches run so far.</summary>
    public long BatchesRun => Interlocked.Read(ref _batchesRun);

    /// <summary>
    /// False when a batch has been running longer than <paramref name="stallAfter"/> or the loop has died:
    /// the signal readiness checks use.
    /// </summary>
    public bool IsResponsive(TimeSpan stallAfter)
    {
        if (_loop.IsCompleted) return false;
        for (int r = 0; r < _batchStartedAt.Length; r++)
        {
            long started = Volatile.Read(ref _batchStartedAt[r]);
            if (started != 0 && Stopwatch.GetElapsedTime(started) >= stallAfter) return false;
        }
        return true;
    }

    /// <summary>
    /// Queues <paramref name="image"/> for the next batch. Takes ownership of <paramref name="image"/>:
    /// it is disposed once its tensor has been copied, or when the request fails.
    /// </summary>
    /// <exception cref="OverloadedException">The queue is full.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before the batch ran.</exception>
    public Task<BatchedEmbedding> EmbedAsync(PreprocessedImage image, CancellationToken cancellationToken = default)
    {
        if (image.Length != _encoder.Preprocessing.TensorLength)
        {
            image.Dispose();
            throw new ArgumentException($"The image was preprocessed for another model ({image.Length} floats, this model takes {_encoder.Preprocessing.TensorLength}).", nameof(image));
        }
        var request = new Request(image);
        if (cancellationToken.CanBeCanceled)
            request.Registration = cancellationToken.Register(static s => ((Request)s!).Completion.TrySetCanceled(), request);
        if (!_queue.Writer.TryWrite(request))
        {
            request.Release();
            if (_queue.Reader.Completion.IsCompleted) throw new ObjectDisposedException(nameof(MicroBatcher), "The model is shutting down.");
            // The queue drains at about one image per recent per-image time on each runner.
            var drain = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(_capacity * Volatile.Read(ref _secondsPerImage) / _batchStartedAt.Length)));
            throw new OverloadedException($"Model '{_encoder.Model.Name}' has {_capacity} images waiting (Models:QueueCapacity = {_capacity}); retry in about {drain.TotalSeconds:0} s.", drain);
        }
        return request.Completion.Task;
    }

    /// <summary>Stops taking requests, runs what is queued, then returns. The encoder is not disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunLoopAsync(int runner)
    {
        var batch = new List<Request>(_maxBatchSize);
        float[] input = new float[_maxBatchSize * _encoder.Preprocessing.TensorLength];
        float[] output = new float[_maxBatchSize * _encoder.Dimensions];
        ChannelReader<Request> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            long firstAt = Stopwatch.GetTimestamp();
            while (batch.Count < _maxBatchSize)
            {
                if (reader.TryRead(out Request? request))
                {
                    if (request.Completion.Task.IsCompleted) request.Release(); // cancelled while queued
                    else batch.Add(request);
                    continue;
                }
                TimeSpan left = _maxBatchDelay - Stopwatch.GetElapsedTime(firstAt);
                if (batch.Count == 0 || left <= TimeSpan.Zero) break;
                if (!await WaitForMoreAsync(reader, left).ConfigureAwait(false)) break;
            }
            if (batch.Count == 0) continue;
            RunBatch(runner, batch, input, output);
            batch.Clear();
        }
    }

    private static async ValueTask<bool> WaitForMoreAsync(ChannelReader<Request> reader, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            return await reader.WaitToReadAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void RunBatch(int runner, List<Request> batch, float[] input, float[] output)
    {
        int rowLength = _encoder.Preprocessing.TensorLength;
        int dims = _encoder.Dimensions;
        long start = Stopwatch.GetTimestamp();
        Volatile.Write(ref _batchStartedAt[runner], start);
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Image.Tensor.CopyTo(input.AsSpan(i * rowLength, rowLength));
                batch[i].Release();
            }
            _encoder.Encode(input, batch.Count, output);
            TimeSpan inference = Stopwatch.GetElapsedTime(start);
            double perImage = inference.TotalSeconds / batch.Count, before = Volatile.Read(ref _secondsPerImage);
            Volatile.Write(ref _secondsPerImage, before == 0 ? perImage : 0.8 * before + 0.2 * perImage); // a lost race only skips one sample
            for (int i = 0; i < batch.Count; i++)
            {
                float[] vector = output.AsSpan(i * dims, dims).ToArray();
                batch[i].Completion.TrySetResult(new BatchedEmbedding(vector, batch[i].WaitedUntil(start), inference, batch.Count));
            }
        }
        catch (Exception e)
        {
            // One failed run fails its own batch only; the loop goes on with the next.
            foreach (Request r in batch)
            {
                r.Release();
                r.Completion.TrySetException(e);
            }
        }
        finally
        {
            Interlocked.Increment(ref _batchesRun);
            Volatile.Write(ref _batchStartedAt[runner], 0);
        }
    }

    private sealed class Request(PreprocessedImage image)
    {
        private readonly long _enqueuedAt = Stopwatch.GetTimestamp();

        public PreprocessedImage Image { get; } = image;
        public TaskCompletionSource<BatchedEmbedding> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }

        public TimeSpan WaitedUntil(long timestamp) => Stopwatch.GetElapsedTime(_enqueuedAt, timestamp);

        /// <summary>Returns the pooled tensor and drops the cancellation hook; idempotent.</summary>
        public void Release()
        {
            Registration.Dispose();
            Image.Dispose();
        }
    }
}
