using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace ImageEmbed.Imaging.Fingerprint;

/// <summary>
/// The DCT perceptual hash (pHash, 64 bits): a 32×32 greyscale image → 2-D DCT-II → the 8×8 lowest
/// frequencies → one bit per coefficient, set when it is above the median of the 63 AC coefficients
/// (the DC term is the mean brightness and would skew the median). Re-encoding, resizing and small
/// crops move few bits; a different picture differs in about half of them (<see cref="Distance"/>).
/// Bits are in row-major order of the 8×8 block, the first in the most significant bit.
/// </summary>
public static class PerceptualHash
{
    /// <summary>Side of the greyscale square the hash is computed from.</summary>
    public const int InputSize = 32;

    private const int Low = 8;
    private const float RoundingNoise = 1e-3f;

    // cos((2x + 1)·u·π / 64) for u < 8, x < 32, with the orthonormal DCT-II scale folded in.
    private static readonly float[] s_basis = Basis();

    /// <summary>Hashes a <see cref="InputSize"/>×<see cref="InputSize"/> greyscale image (row-major, one byte per pixel).</summary>
    /// <exception cref="ArgumentException"><paramref name="gray"/> is not 1024 bytes.</exception>
    public static ulong Compute(ReadOnlySpan<byte> gray)
    {
        if (gray.Length != InputSize * InputSize)
            throw new ArgumentException($"A pHash needs {InputSize}x{InputSize} = {InputSize * InputSize} grey bytes, got {gray.Length}.", nameof(gray));

        Span<float> pixels = stackalloc float[InputSize * InputSize];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = gray[i];

        // Separable: first the 8 lowest horizontal frequencies of every row, then the 8 lowest vertical
        // frequencies of each of those columns. Only the 8×8 corner is ever computed.
        Span<float> rows = stackalloc float[InputSize * Low]; // [y, u]
        for (int y = 0; y < InputSize; y++)
            for (int u = 0; u < Low; u++)
                rows[y * Low + u] = TensorPrimitives.Dot(pixels.Slice(y * InputSize, InputSize), s_basis.AsSpan(u * InputSize, InputSize));

        Span<float> column = stackalloc float[InputSize];
        Span<float> coefficients = stackalloc float[Low * Low]; // [v, u]
        for (int u = 0; u < Low; u++)
        {
            for (int y = 0; y < InputSize; y++) column[y] = rows[y * Low + u];
            for (int v = 0; v < Low; v++)
                coefficients[v * Low + u] = TensorPrimitives.Dot(column, s_basis.AsSpan(v * InputSize, InputSize));
        }

        // Pixels are whole levels, so a real frequency component is far above float rounding noise; snapping
        // that noise to 0 keeps flat areas from hashing differently with the SIMD width TensorPrimitives.Dot uses.
        foreach (ref float c in coefficients)
            if (MathF.Abs(c) < RoundingNoise) c = 0;

        Span<float> ac = stackalloc float[Low * Low - 1];
        coefficients[1..].CopyTo(ac);
        ac.Sort();
        float median = ac[ac.Length / 2]; // 63 values: the middle one

        ulong hash = 0;
        for (int i = 0; i < coefficients.Length; i++)
            if (coefficients[i] > median) hash |= 1UL << (63 - i);
        return hash;
    }

    /// <summary>Bits that differ: 0 for the same picture, about 32 for unrelated ones, 64 at most.</summary>
    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);

    /// <summary>16 lowercase hex digits, as the API shows it.</summary>
    public static string ToHex(ulong hash) => hash.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>Parses <see cref="ToHex"/>'s form (exactly 16 hex digits).</summary>
    public static bool TryParseHex(string? text, out ulong hash)
    {
        hash = 0;
        return text is { Length: 16 } && ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out hash);
    }

    private static float[] Basis()
    {
        float[] basis = new float[Low * InputSize];
        for (int u = 0; u < Low; u++)
        {
            double scale = u == 0 ? Math.Sqrt(1.0 / InputSize) : Math.Sqrt(2.0 / InputSize);
            for (int x = 0; x < InputSize; x++)
                basis[u * InputSize + x] = (float)(scale * Math.Cos((2 * x + 1) * u * Math.PI / (2 * InputSize)));
        }
        return basis;
    }
}
