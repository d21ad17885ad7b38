using System.Globalization;
using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Vips;

/// <summary>libvips band formats used by ImageEmbed (values from <c>VipsBandFormat</c>).</summary>
public enum VipsBandFormat { Uchar = 0, Char = 1, Ushort = 2, Short = 3, Uint = 4, Int = 5, Float = 6, Complex = 7, Double = 8, DpComplex = 9 }

/// <summary>
/// A libvips image. libvips is lazy: creating an image from an operation records the operation,
/// and pixels are only computed by <see cref="WriteToMemory"/>, which is where corrupt data fails.
/// Each instance owns one reference and must be disposed; images derived from it keep their own
/// references to what they need, so disposing a source early is safe.
/// </summary>
public sealed class VipsImage : IDisposable
{
    private readonly VipsImageHandle _handle;

    private VipsImage(VipsImageHandle handle) => _handle = handle;

    /// <summary>
    /// Opens an image from encoded bytes, reading the header only. The bytes are copied into a
    /// libvips blob that lives as long as any image derived from it, so the caller's buffer may be
    /// reused at once.
    /// </summary>
    /// <param name="data">Encoded image bytes.</param>
    /// <param name="options">Loader options, e.g. <c>fail_on=truncated</c>.</param>
    /// <param name="loader">The libvips loader chosen from the bytes, e.g. <c>VipsForeignLoadJpegSource</c>.</param>
    /// <exception cref="VipsException">No loader accepts the bytes, or the header is invalid.</exception>
    public static unsafe VipsImage LoadFromBuffer(ReadOnlySpan<byte> data, string options, out string loader)
    {
        VipsRuntime.EnsureStarted();
        nint blob;
        fixed (byte* p = data) blob = VipsInterop.BlobCopy(p, (nuint)data.Length);
        if (blob == 0) throw VipsException.FromErrorBuffer("Could not copy image bytes");
        VipsObjectHandle source;
        try
        {
            source = VipsInterop.SourceNewFromBlob(blob);
        }
        finally
        {
            VipsInterop.AreaUnref(blob); // the source holds its own reference now
        }
        using (source)
        {
            if (source.IsInvalid) throw VipsException.FromErrorBuffer("Could not open image bytes");
            loader = Marshal.PtrToStringUTF8((nint)VipsInterop.ForeignFindLoadSource(source))
                ?? throw VipsException.FromErrorBuffer("Unsupported image format");
            VipsImageHandle image = VipsInterop.ImageNewFromSource(source, options, 0);
            if (image.IsInvalid)
            {
                image.Dispose();
                throw VipsException.FromErrorBuffer("Could not read image header");
            }
            return new VipsImage(image);
        }
    }

    /// <summary>An 8-bit image over a copy of raw interleaved pixels (1 = grey, 3 = RGB, 4 = RGBA).</summary>
    public static unsafe VipsImage FromPixels(ReadOnlySpan<byte> pixels, int width, int height, int bands)
    {
        if ((long)width * height * bands != pixels.Length)
            throw new ArgumentException($"{width}x{height}x{bands} needs {(long)width * height * bands} bytes, got {pixels.Length}.", nameof(pixels));
        VipsRuntime.EnsureStarted();
        VipsImageHandle handle;
        fixed (byte* p = pixels) handle = VipsInterop.ImageNewFromMemoryCopy(p, (nuint)pixels.Length, width, height, bands, (int)VipsBandFormat.Uchar);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw VipsException.FromErrorBuffer("Could not create image from pixels");
        }
        return new VipsImage(handle);
    }

    public int Width => VipsInterop.ImageGetWidth(_handle);
    public int Height => VipsInterop.ImageGetHeight(_handle);
    public int Bands => VipsInterop.ImageGetBands(_handle);
    public VipsBandFormat Format => (VipsBandFormat)VipsInterop.ImageGetFormat(_handle);
    public bool HasAlpha => VipsInterop.ImageHasAlpha(_handle);

    /// <summary>True when libvips reads the pixels as CMYK (<c>VIPS_INTERPRETATION_CMYK</c>).</summary>
    public bool IsCmyk => VipsInterop.ImageGetInterpretation(_handle) == 15;

    /// <summary>Pages in the file (frames of an animation); the image itself holds the first only unless asked.</summary>
    public int Pages => VipsInterop.ImageGetNPages(_handle);

    /// <summary>True when the header carries metadata <paramref name="field"/>, e.g. <c>icc-profile-data</c>.</summary>
    public bool HasField(string field) => VipsInterop.ImageGetTypeof(_handle, field) != 0;

    /// <summary>A copy of a binary field such as <c>icc-profile-data</c>; null when the image has no such field.</summary>
    public unsafe byte[]? GetBlob(string field)
    {
        if (!HasField(field) || VipsInterop.ImageGetBlob(_handle, field, out void* data, out nuint length) != 0) return null;
        return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
    }

    /// <summary>Attaches a copy of <paramref name="value"/> as a binary field (e.g. an ICC profile to transform from).</summary>
    public unsafe void SetBlob(string field, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) VipsInterop.ImageSetBlobCopy(_handle, field, p, (nuint)value.Length);
    }

    /// <summary>Rotates/flips by the EXIF orientation tag (and removes the tag).</summary>
    public VipsImage Autorotate() => Call("autorot", null);

    /// <summary>
    /// Transforms to <paramref name="profile"/> through the embedded ICC profile, or through
    /// <paramref name="inputProfile"/> (a file or a built-in name such as <c>cmyk</c>) when the image has none.
    /// </summary>
    public VipsImage IccTransform(string profile, string intent, int depth, string? inputProfile = null) =>
        Call("icc_transform", $"output_profile={profile},intent={intent},embedded=true,depth={depth}" + (inputProfile is null ? "" : ",input_profile=" + inputProfile));

    /// <summary>Converts to the colour space named by its libvips nickname, e.g. <c>srgb</c>.</summary>
    public VipsImage Colourspace(string space) => Call("colourspace", $"space={space}");

    /// <summary>Composes the alpha channel onto a flat grey level (255 = white) and drops it.</summary>
    public VipsImage Flatten(double background) => Call("flatten", "background=" + Num(background));

    /// <summary>Resamples by independent horizontal and vertical factors with the named kernel.</summary>
    public VipsImage Resize(double hscale, double vscale, string kernel) =>
        Call("resize", $"scale={Num(hscale)},vscale={Num(vscale)},kernel={kernel}");

    public VipsImage ExtractArea(int left, int top, int width, int height) =>
        Call("extract_area", $"left={left},top={top},width={width},height={height}", inputName: "input");

    /// <summary>Mirrors the image: <c>horizontal</c> (left-right) or <c>vertical</c>.</summary>
    public VipsImage Flip(string direction) => Call("flip", "direction=" + direction);

    public VipsImage ExtractBands(int first, int count) => Call("extract_band", $"band={first},n={count}");

    public VipsImage Cast(VipsBandFormat format) => Call("cast", "format=" + format.ToString().ToLowerInvariant());

    /// <summary>
    /// Computes every pixel into <paramref name="destination"/> (band-interleaved, row-major).
    /// This is where lazily detected corruption (a truncated file) surfaces as a <see cref="VipsException"/>.
    /// </summary>
    /// <returns>The number of bytes written.</returns>
    public unsafe int WriteToMemory(Span<byte> destination)
    {
        void* pixels = VipsInterop.ImageWriteToMemory(_handle, out nuint size);
        if (pixels == null) throw VipsException.FromErrorBuffer("Could not decode image pixels");
        try
        {
            if (size > (nuint)destination.Length)
                throw new ArgumentException($"Destination holds {destination.Length} bytes; the image needs {size}.", nameof(destination));
            new ReadOnlySpan<byte>(pixels, (int)size).CopyTo(destination);
            return (int)size;
        }
        finally
        {
            VipsInterop.GFree(pixels);
        }
    }

    /// <summary>Encodes the image in the format the suffix names, e.g. <c>.jpg[Q=85]</c> or <c>.png</c>.</summary>
    public unsafe byte[] WriteToBuffer(string suffix)
    {
        if (VipsInterop.ImageWriteToBuffer(_handle, suffix, out nint buffer, out nuint size, 0) != 0)
            throw VipsException.FromErrorBuffer($"Could not encode image as {suffix}");
        try
        {
            return new ReadOnlySpan<byte>((void*)buffer, checked((int)size)).ToArray();
        }
        finally
        {
            VipsInterop.GFree((void*)buffer);
        }
    }

    public void Dispose() => _handle.Dispose();

    private static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Runs a one-image-in, one-image-out operation: the input image plus string-encoded options, giving <c>out</c>.</summary>
    private unsafe VipsImage Call(string name, string? options, string inputName = "in")
    {
        using VipsObjectHandle operation = VipsInterop.OperationNew(name);
        if (operation.IsInvalid) throw VipsException.FromErrorBuffer($"libvips has no operation '{name}'");

        VipsInterop.GValue value = default;
        VipsInterop.GValueInit(&value, VipsInterop.ImageGetType());
        VipsInterop.GValueSetObject(&value, _handle);
        VipsInterop.GObjectSetProperty(operation, inputName, &value);
        VipsInterop.GValueUnset(&value);

        if (options is not null && VipsInterop.ObjectSetFromString(operation, options) != 0)
            throw VipsException.FromErrorBuffer($"{name}: bad options '{options}'");

        using VipsObjectHandle built = VipsInterop.CacheOperationBuild(operation);
        if (built.IsInvalid)
        {
            VipsInterop.ObjectUnrefOutputs(operation);
            throw VipsException.FromErrorBuffer($"{name} failed");
        }
        try
        {
            VipsInterop.GValue output = default;
            VipsInterop.GValueInit(&output, VipsInterop.ImageGetType());
            VipsInterop.GObjectGetProperty(built, "out", &output);
            VipsImageHandle result = VipsInterop.GValueDupObject(&output);
            VipsInterop.GValueUnset(&output);
            return new VipsImage(result);
        }
        finally
        {
            VipsInterop.ObjectUnrefOutputs(built);
        }
    }
}
