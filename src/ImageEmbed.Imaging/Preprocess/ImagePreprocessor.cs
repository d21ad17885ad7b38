using System.Buffers;
using System.Diagnostics;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Fingerprint;

namespace ImageEmbed.Imaging.Preprocess;

/// <summary>One image, decoded and turned into its model input tensor, in a pooled buffer.</summary>
public sealed class PreprocessedImage : IDisposable
{
    private float[]? _tensor;

    internal PreprocessedImage(float[] tensor, int length, DecodedImage info, TimeSpan decodeTime, TimeSpan tensorTime)
    {
        _tensor = tensor;
        Length = length;
        Info = info;
        DecodeTime = decodeTime;
        TensorTime = tensorTime;
    }

    public DecodedImage Info { get; }

    /// <summary>Time spent in the libvips pipeline: decode, colour, resize, down to model-sized RGB bytes.</summary>
    public TimeSpan DecodeTime { get; }

    /// <summary>Time spent turning the RGB bytes into the normalized tensor.</summary>
    public TimeSpan TensorTime { get; }

    public int Length { get; }

    /// <summary>The image's tensor (one batch row). Valid until this object is disposed.</summary>
    public ReadOnlySpan<float> Tensor => (_tensor ?? throw new ObjectDisposedException(nameof(PreprocessedImage))).AsSpan(0, Length);

    public void Dispose()
    {
        float[]? tensor = Interlocked.Exchange(ref _tensor, null);
        if (tensor is not null) ArrayPool<float>.Shared.Return(tensor);
    }
}

/// <summary>Decode + resize + normalize: encoded bytes in, a model input row out. Thread-safe.</summary>
public sealed class ImagePreprocessor(ImageDecoder decoder)
{
    /// <exception cref="ImageDecodeException">The bytes are not a usable image (see subclasses).</exception>
    public PreprocessedImage Preprocess(ReadOnlySpan<byte> encoded, ImagePreprocessing recipe) =>
        Run(encoded, recipe, withFingerprint: false, null, out _);

    /// <summary>
    /// <see cref="Preprocess"/> and the image's fingerprint from one decode (<see cref="ImageDecoder.DecodeWithFingerprint"/>).
    /// The result's <see cref="PreprocessedImage.DecodeTime"/> includes making the fingerprint.
    /// </summary>
    /// <exception cref="ImageDecodeException">The bytes are not a usable image (see subclasses).</exception>
    /// <param name="contentHash">The bytes' SHA-256 when the caller has it already; null = computed here.</param>
    public PreprocessedImage PreprocessWithFingerprint(ReadOnlySpan<byte> encoded, ImagePreprocessing recipe, out ImageFingerprint fingerprint, string? contentHash = null)
    {
        PreprocessedImage image = Run(encoded, recipe, withFingerprint: true, contentHash, out ImageFingerprint? made);
        fingerprint = made!;
        return image;
    }

    private PreprocessedImage Run(ReadOnlySpan<byte> encoded, ImagePreprocessing recipe, bool withFingerprint, string? contentHash, out ImageFingerprint? fingerprint)
    {
        long start = Stopwatch.GetTimestamp();
        byte[] rgb = ArrayPool<byte>.Shared.Rent(recipe.PixelLength);
        float[]? tensor = null;
        try
        {
            fingerprint = null;
            DecodedImage info = withFingerprint
                ? decoder.DecodeWithFingerprint(encoded, recipe, rgb, out fingerprint, contentHash)
                : decoder.Decode(encoded, recipe, rgb);
            long decoded = Stopwatch.GetTimestamp();
            tensor = ArrayPool<float>.Shared.Rent(recipe.TensorLength);
            TensorWriter.Write(rgb, recipe, tensor);
            var result = new PreprocessedImage(tensor, recipe.TensorLength, info, Stopwatch.GetElapsedTime(start, decoded), Stopwatch.GetElapsedTime(decoded));
            tensor = null;
            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgb);
            if (tensor is not null) ArrayPool<float>.Shared.Return(tensor);
        }
    }
}
