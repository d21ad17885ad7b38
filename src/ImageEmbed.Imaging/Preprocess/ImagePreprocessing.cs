using System.Text.Json.Serialization;

namespace ImageEmbed.Imaging.Preprocess;

/// <summary>How the image is fitted to the model's input size.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResizeMode>))]
public enum ResizeMode
{
    /// <summary>Resize to exactly width × height, ignoring the aspect ratio.</summary>
    Squash,

    /// <summary>Resize so the shortest side matches, then crop the centre (CLIP's recipe).</summary>
    ShortestSideCenterCrop,
}

/// <summary>Tensor memory layout.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TensorLayout>))]
public enum TensorLayout
{
    /// <summary>[N, H, W, C] (TensorFlow-style).</summary>
    Nhwc,

    /// <summary>[N, C, H, W] (PyTorch-style).</summary>
    Nchw,
}

/// <summary>
/// A model's preprocessing recipe: resize, then <c>(pixel * Scale - Mean[c]) / Std[c]</c> per RGB channel,
/// laid out as <see cref="Layout"/>. Part of a model manifest; parity with the model's reference pipeline depends on it.
/// </summary>
public sealed record ImagePreprocessing
{
    public int Width { get; init; } = 224;
    public int Height { get; init; } = 224;
    public ResizeMode Resize { get; init; } = ResizeMode.Squash;

    /// <summary>libvips kernel nickname: <c>nearest</c>, <c>linear</c>, <c>cubic</c>, <c>mitchell</c>, <c>lanczos2</c>, <c>lanczos3</c>.</summary>
    public string Kernel { get; init; } = "linear";

    public float Scale { get; init; } = 1f / 255f;
    public float[] Mean { get; init; } = [0f, 0f, 0f];
    public float[] Std { get; init; } = [1f, 1f, 1f];
    public TensorLayout Layout { get; init; } = TensorLayout.Nhwc;

    /// <summary>Floats in one image's tensor (3 × width × height).</summary>
    public int TensorLength => 3 * Width * Height;

    /// <summary>Bytes of one image's RGB pixels at the model size.</summary>
    public int PixelLength => 3 * Width * Height;

    public IEnumerable<string> Validate(string owner)
    {
        if (Width is <= 0 or > 4096 || Height is <= 0 or > 4096) yield return $"{owner}: preprocessing size {Width}x{Height} must be within 1..4096.";
        if (Kernel is not ("nearest" or "linear" or "cubic" or "mitchell" or "lanczos2" or "lanczos3"))
            yield return $"{owner}: unknown resize kernel '{Kernel}'.";
        if (Mean.Length != 3 || Std.Length != 3) yield return $"{owner}: mean and std need 3 values (R, G, B).";
        else if (Std.Any(s => s == 0f)) yield return $"{owner}: std values must not be 0.";
    }
}
