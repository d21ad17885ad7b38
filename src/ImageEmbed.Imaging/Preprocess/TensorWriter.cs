using System.Numerics.Tensors;

namespace ImageEmbed.Imaging.Preprocess;

/// <summary>Turns model-sized RGB bytes into one image's slice of a float input tensor.</summary>
public static class TensorWriter
{
    /// <summary>
    /// Writes <c>(pixel * Scale - Mean[c]) / Std[c]</c> for every pixel of <paramref name="rgb"/>
    /// (<c>Height × Width × 3</c>, interleaved) into <paramref name="destination"/> in the recipe's layout.
    /// </summary>
    public static void Write(ReadOnlySpan<byte> rgb, ImagePreprocessing recipe, Span<float> destination)
    {
        int pixels = recipe.Width * recipe.Height;
        if (rgb.Length < pixels * 3) throw new ArgumentException($"Need {pixels * 3} RGB bytes, got {rgb.Length}.", nameof(rgb));
        if (destination.Length < pixels * 3) throw new ArgumentException($"Need room for {pixels * 3} floats, got {destination.Length}.", nameof(destination));
        rgb = rgb[..(pixels * 3)];
        destination = destination[..(pixels * 3)];

        // value = pixel * a[c] + b[c], with a = scale / std and b = -mean / std.
        Span<float> a = stackalloc float[3];
        Span<float> b = stackalloc float[3];
        for (int c = 0; c < 3; c++)
        {
            a[c] = recipe.Scale / recipe.Std[c];
            b[c] = -recipe.Mean[c] / recipe.Std[c];
        }

        if (recipe.Layout == TensorLayout.Nhwc)
        {
            TensorPrimitives.ConvertChecked(rgb, destination);
            if (a[0] == a[1] && a[1] == a[2] && b[0] == b[1] && b[1] == b[2])
            {
                // One affine map for every value: the vectorised path.
                TensorPrimitives.Multiply(destination, a[0], destination);
                TensorPrimitives.Add(destination, b[0], destination);
                return;
            }
            for (int i = 0; i < destination.Length; i += 3)
            {
                destination[i] = destination[i] * a[0] + b[0];
                destination[i + 1] = destination[i + 1] * a[1] + b[1];
                destination[i + 2] = destination[i + 2] * a[2] + b[2];
            }
            return;
        }

        // NCHW: de-interleave into three planes.
        Span<float> r = destination[..pixels];
        Span<float> g = destination.Slice(pixels, pixels);
        Span<float> bl = destination.Slice(2 * pixels, pixels);
        for (int p = 0, i = 0; p < pixels; p++, i += 3)
        {
            r[p] = rgb[i] * a[0] + b[0];
            g[p] = rgb[i + 1] * a[1] + b[1];
            bl[p] = rgb[i + 2] * a[2] + b[2];
        }
    }
}
