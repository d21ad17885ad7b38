using ImageEmbed.Models.Batching;

namespace ImageEmbed.Service.Limits;

/// <summary>
/// Bounds the request bytes read at once across all requests (<see cref="ServiceOptions.MaxBodyBytesInFlight"/>):
/// each body may be up to the per-request limit, but without this any number of them could be held together.
/// A body with a Content-Length reserves it before a byte is read, so a refusal costs nothing; a chunked body
/// reserves as it streams in. Either way the reservation lasts until the response is done.
/// </summary>
internal sealed class BodyBudget(ServiceOptions options)
{
    private long _held;

    /// <summary>Bytes reserved by requests in progress.</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>
    /// Reserves <paramref name="bytes"/>, or returns false. A body larger than the whole budget is still taken when nothing
    /// else is held, so a request within the per-request limit is never refused for good.
    /// </summary>
    public bool TryReserve(long bytes)
    {
        while (true)
        {
            long held = Interlocked.Read(ref _held);
            if (held > 0 && held + bytes > options.MaxBodyBytesInFlight) return false;
            if (Interlocked.CompareExchange(ref _held, held + bytes, held) == held) return true;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _held, -bytes);

    /// <summary>The refusal: bodies finish reading at network speed, so a retry soon has a chance.</summary>
    public OverloadedException Refusal(long bytes) => new(
        $"Request bodies of {Held / (1 << 20)} MiB are being read, and this one's {Math.Max(1, bytes >> 20)} MiB would pass Service:MaxBodyBytesInFlight ({options.MaxBodyBytesInFlight >> 20} MiB); retry in about 1 s.",
        TimeSpan.FromSeconds(1));
}

/// <summary>Puts every request body under <see cref="BodyBudget"/>.</summary>
internal sealed class BodyBudgetMiddleware(RequestDelegate next, BodyBudget budget)
{
    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        long declared = 0;
        CountedBody? counted = null;
        if (request.ContentLength is long length)
        {
            if (length > 0 && !budget.TryReserve(length)) throw budget.Refusal(length);
            declared = length;
        }
        else if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            request.Body = counted = new CountedBody(request.Body, budget);
        }
        try
        {
            await next(context);
        }
        finally
        {
            budget.Release(declared + (counted?.Reserved ?? 0));
        }
    }

    /// <summary>
    /// A chunked body, reserving each piece as it is read. Kestrel reports malformed chunk framing (a size that overflows,
    /// one that is not hex) as a bare <see cref="IOException"/>: the client's mistake, so it becomes a 400.
    /// </summary>
    private sealed class CountedBody(Stream inner, BodyBudget budget) : Stream
    {
        public long Reserved { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
            }
            catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new BadHttpRequestException($"Malformed chunked request body: {e.Message}", StatusCodes.Status400BadRequest, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        private int Count(int read)
        {
            if (read > 0)
            {
                if (!budget.TryReserve(read)) throw budget.Refusal(Reserved + read);
                Reserved += read;
            }
            return read;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
