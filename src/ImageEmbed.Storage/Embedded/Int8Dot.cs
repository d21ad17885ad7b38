using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ImageEmbed.Storage.Embedded;

/// <summary>
/// Dot product of two int8 vectors with an int32 accumulator. <c>TensorPrimitives.Dot&lt;sbyte&gt;</c>
/// accumulates in sbyte and overflows, so this one small kernel widens by hand: sbyte → short (products
/// of ±127 fit), short → int, 32 elements per step.
/// </summary>
internal static class Int8Dot
{
    public static int Compute(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        int length = Math.Min(a.Length, b.Length);
        int i = 0;
        int sum = 0;
        if (Vector256.IsHardwareAccelerated && length >= 32)
        {
            ref sbyte pa = ref MemoryMarshal.GetReference(a);
            ref sbyte pb = ref MemoryMarshal.GetReference(b);
            Vector256<int> acc = Vector256<int>.Zero;
            for (; i <= length - 32; i += 32)
            {
                (Vector256<short> aLow, Vector256<short> aHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref pa, (nuint)i));
                (Vector256<short> bLow, Vector256<short> bHigh) = Vector256.Widen(Vector256.LoadUnsafe(ref pb, (nuint)i));
                (Vector256<int> p0, Vector256<int> p1) = Vector256.Widen(aLow * bLow);
                (Vector256<int> p2, Vector256<int> p3) = Vector256.Widen(aHigh * bHigh);
                acc += (p0 + p1) + (p2 + p3);
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < length; i++) sum += a[i] * b[i];
        return sum;
    }
}
