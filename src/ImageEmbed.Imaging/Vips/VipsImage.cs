using System.Diagnostics;
using NetVips;
using static NetVips.Enums;

namespace ImageEmbed.Imaging.Vips;

/// <summary>
/// A libvips image (through NetVips), with the handful of operations ImageEmbed uses and libvips' own
/// error text on every failure. libvips is lazy: creating an image from an operation records the
/// operation, and pixels are only computed by <see cref="WriteToMemory"/>, which is where corrupt data
/// fails. Each instance owns one reference and must be disposed; images derived from it keep their own
/// references to what they need, so disposing a source early is safe.
/// </summary>
public sealed class VipsImage : IDisposable
{
    private readonly Image _image;

    private VipsImage(Image image) => _image = image;

    /// <summary>
    /// Opens an image from encoded bytes, reading the header only. libvips copies the bytes, so the
    /// caller's buffer may be reused at once.
    /// </summary>
    /// <param name="data">Encoded image bytes.</param>
    /// <param name="options">Loader options, e.g. <c>fail_on=truncated</c>.</param>
    /// <param name="loader">The libvips loader chosen from the bytes, e.g. <c>VipsForeignLoadJpegBuffer</c>.</param>
    /// <exception cref="VipsException">No loader accepts the bytes, or the header is invalid.</exception>
    public static VipsImage LoadFromBuffer(ReadOnlySpan<byte> data, string options, out string loader)
    {
        VipsRuntime.EnsureStarted();
        loader = Image.FindLoadBuffer(data) ?? throw VipsException.FromErrorBuffer("Unsupported image format");
        try
        {
            return new VipsImage(Image.NewFromBuffer(data, options));
        }
        catch (NetVips.VipsException e)
        {
            throw VipsException.From("Could not read image header", e);
        }
    }

    /// <summary>An 8-bit image over a copy of raw interleaved pixels (1 = grey, 3 = RGB, 4 = RGBA).</summary>
    public static unsafe VipsImage FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int bands)
    {
        if ((long)width * height * bands != pixels.Length)
            throw new ArgumentException($"{width}x{height}x{bands} needs {(long)width * height * bands} bytes, got {pixels.Length}.", nameof(pixels));
        VipsRuntime.EnsureStarted();
        fixed (byte* p = pixels)
        {
            nint address = (nint)p;
            ulong length = (ulong)pixels.Length;
            return Wrap(() => Image.NewFromMemoryCopy(address, length, width, height, bands, BandFormat.Uchar), "Could not create image from pixels");
        }
    }

    public int Width => _image.Width;
    public int Height => _image.Height;
    public int Bands => _image.Bands;
    public BandFormat Format => _image.Format;
    public bool HasAlpha => _image.HasAlpha();

    /// <summary>True when libvips reads the pixels as CMYK.</summary>
    public bool IsCmyk => _image.Interpretation == Interpretation.Cmyk;

    /// <summary>True when the header carries metadata <paramref name="field"/>, e.g. <c>icc-profile-data</c>.</summary>
    public bool HasField(string field) => _image.GetTypeOf(field) != 0;

    /// <summary>A copy of a binary field such as <c>icc-profile-data</c>; null when the image has no such field.</summary>
    public byte[]? GetBlob(string field) => HasField(field) ? _image.Get(field) as byte[] : null;

    /// <summary>A copy of this image with a binary field attached (e.g. an ICC profile to transform from).</summary>
    public VipsImage WithBlob(string field, byte[] value) => Wrap(() => _image.Mutate(m => m.Set(GValue.BlobType, field, value)), "Could not set " + field);

    /// <summary>Rotates/flips by the EXIF orientation tag (and removes the tag).</summary>
    public VipsImage Autorotate() => Wrap(_image.Autorot, "autorot failed");

    /// <summary>
    /// Transforms to <paramref name="profile"/> through the embedded ICC profile, or through
    /// <paramref name="inputProfile"/> (a file or a built-in name such as <c>cmyk</c>) when the image has none.
    /// </summary>
    public VipsImage IccTransform(string profile, Intent intent, int depth, string? inputProfile = null) =>
        Wrap(() => _image.IccTransform(profile, intent: intent, embedded: true, depth: depth, inputProfile: inputProfile), "icc_transform failed");

    /// <summary>Converts to another colour space, e.g. <see cref="Interpretation.Srgb"/> or <see cref="Interpretation.Bw"/>.</summary>
    public VipsImage Colourspace(Interpretation space) => Wrap(() => _image.Colourspace(space), "colourspace failed");

    /// <summary>Composes the alpha channel onto a flat grey level (255 = white) and drops it.</summary>
    public VipsImage Flatten(double background) => Wrap(() => _image.Flatten([background]), "flatten failed");

    /// <summary>Resamples by independent horizontal and vertical factors with the named kernel (e.g. <c>linear</c>, <c>lanczos3</c>).</summary>
    public VipsImage Resize(double hscale, double vscale, string kernel)
    {
        if (!Enum.TryParse(kernel, ignoreCase: true, out Kernel k) || int.TryParse(kernel, out _))
            throw new ArgumentException($"'{kernel}' is not a libvips resize kernel ({string.Join(", ", Enum.GetNames<Kernel>()).ToLowerInvariant()}).", nameof(kernel));
        return Wrap(() => _image.Resize(hscale, kernel: k, vscale: vscale), "resize failed");
    }

    /// <summary>
    /// Enlarges to exactly <paramref name="width"/> × <paramref name="height"/> with bicubic (Catmull-Rom) interpolation,
    /// sampling on pixel centres (output x reads input (x + ½)·w/W − ½), the convention of Pillow and most reference
    /// pipelines; edges repeat the border pixels.
    /// </summary>
    public VipsImage UpscaleCentred(int width, int height)
    {
        double sx = (double)width / Width, sy = (double)height / Height;
        return Wrap(() =>
        {
            using Interpolate bicubic = Interpolate.NewFromName("bicubic");
            // libvips maps output (x, y) to input M⁻¹·(x − odx, y − ody) − (idx, idy); these offsets make that the centre mapping.
            return _image.Affine([sx, 0, 0, sy], interpolate: bicubic, oarea: [0, 0, width, height],
                idx: 0.5 - 0.5 / sx, idy: 0.5 - 0.5 / sy, extend: Enums.Extend.Copy);
        }, "affine failed");
    }

    public VipsImage ExtractArea(int left, int top, int width, int height) =>
        Wrap(() => _image.ExtractArea(left, top, width, height), "extract_area failed");

    /// <summary>Mirrors the image left-right or top-bottom.</summary>
    public VipsImage Flip(Direction direction) => Wrap(() => _image.Flip(direction), "flip failed");

    public VipsImage ExtractBands(int first, int count) => Wrap(() => _image.ExtractBand(first, count), "extract_band failed");

    public VipsImage Cast(BandFormat format) => Wrap(() => _image.Cast(format), "cast failed");

    /// <summary>
    /// Computes every pixel into <paramref name="destination"/> (band-interleaved, row-major).
    /// This is where lazily detected corruption (a truncated file) surfaces as a <see cref="VipsException"/>.
    /// </summary>
    /// <param name="destination">Where the pixels go.</param>
    /// <param name="deadline">Longest time the computation may take; past it libvips is stopped (its eval callback sets
    /// the image's kill flag) and <see cref="TimeoutException"/> is thrown. Null = no limit.</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="TimeoutException">The deadline passed.</exception>
    public unsafe int WriteToMemory(Span<byte> destination, TimeSpan? deadline = null)
    {
        // libvips allocates the pixels (g_malloc); they are copied out and freed here, so no managed
        // array of the image's size is made per decode.
        const string context = "Could not decode image pixels";
        // The eval signal comes with every few tiles computed; the handler compares the clock itself, so the stop does
        // not wait for a timer callback on a busy thread pool (which let a decode run past a 1 ms deadline).
        long started = Stopwatch.GetTimestamp();
        bool killed = false;
        NetVips.Image.EvalDelegate? onEval = null;
        ulong handler = 0;
        if (deadline is { } limit)
        {
            onEval = (image, _) =>
            {
                if (killed || Stopwatch.GetElapsedTime(started) <= limit) return;
                killed = true;
                image.SetKill(true);
            };
            _image.SetProgress(true);
            handler = _image.SignalConnect(NetVips.Enums.Signals.Eval, onEval);
        }
        nint pixels;
        ulong size;
        try
        {
            (pixels, size) = Native(() => (_image.WriteToMemory(out ulong n), n), context);
        }
        catch (VipsException) when (killed)
        {
            throw new TimeoutException($"libvips was stopped after {deadline!.Value.TotalMilliseconds:0} ms.");
        }
        finally
        {
            if (handler != 0) _image.SignalHandlerDisconnect(handler);
            GC.KeepAlive(onEval);
        }
        if (pixels == 0) throw VipsException.FromErrorBuffer(context);
        try
        {
            // libvips checks the kill flag between chunks: a computation whose last chunk was already under way, or that
            // ran as one chunk, finishes anyway. Past the deadline is past it, whether or not libvips stopped.
            if (deadline is { } over && Stopwatch.GetElapsedTime(started) > over)
                throw new TimeoutException($"libvips took longer than {over.TotalMilliseconds:0} ms.");
            if (size > (ulong)destination.Length)
                throw new ArgumentException($"Destination holds {destination.Length} bytes; the image needs {size}.", nameof(destination));
            new ReadOnlySpan<byte>((void*)pixels, (int)size).CopyTo(destination);
            return (int)size;
        }
        finally
        {
            NetVips.NetVips.Free(pixels);
        }
    }

    /// <summary>Encodes the image in the format the suffix names, e.g. <c>.jpg[Q=85]</c> or <c>.png</c>.</summary>
    public byte[] WriteToBuffer(string suffix) => Native(() => _image.WriteToBuffer(suffix), $"Could not encode image as {suffix}");

    public void Dispose() => _image.Dispose();


    private static VipsImage Wrap(Func<Image> operation, string context) => new(Native(operation, context));

    /// <summary>Runs a NetVips call, turning its exception into ours (libvips' lines, what we were doing).</summary>
    private static T Native<T>(Func<T> call, string context)
    {
        try
        {
            return call();
        }
        catch (NetVips.VipsException e)
        {
            throw VipsException.From(context, e);
        }
    }
}
