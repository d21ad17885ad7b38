using System.Buffers;
using System.Text;

namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// Unicode Normalization Form C (UAX #15), from the tables in <see cref="NfcData"/>.
/// </summary>
/// <remarks>
/// The service runs with <c>InvariantGlobalization</c>, and there <see cref="string.Normalize()"/> returns
/// non-ASCII text unchanged, so <c>e</c> + U+0301 would not become <c>é</c> and would tokenize differently
/// from the Hugging Face tokenizer. Thread-safe: the tables are built once and only read.
/// </remarks>
internal static class UnicodeNfc
{
    // Hangul syllables decompose and compose arithmetically (Unicode §3.12), not through the tables.
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    // Every code point below U+0300 has combining class 0, is stable under NFC and is never the second
    // half of a composition, so text made only of them is already NFC (ASCII and Latin-1 in particular).
    private const int FirstInteresting = 0x300;

    private static readonly Dictionary<int, (int First, int Second)> s_decompositions = new();
    private static readonly Dictionary<long, int> s_compositions = new();
    private static readonly Dictionary<int, byte> s_combiningClasses = new();

    // Code points that make the quick check fail: those that can be the second half of a composition,
    // and those whose decomposition does not compose back (singletons, exclusions).
    private static readonly HashSet<int> s_composeSeconds = [];
    private static readonly HashSet<int> s_notStable = [];

    static UnicodeNfc()
    {
        ReadOnlySpan<int> d = NfcData.Decompositions;
        for (int i = 0; i < d.Length; i += 3)
        {
            int cp = d[i] & ~NfcData.ComposesFlag;
            s_decompositions[cp] = (d[i + 1], d[i + 2]);
            if ((d[i] & NfcData.ComposesFlag) != 0)
            {
                s_compositions[PairKey(d[i + 1], d[i + 2])] = cp;
                s_composeSeconds.Add(d[i + 2]);
            }
            else
            {
                s_notStable.Add(cp);
            }
        }

        ReadOnlySpan<int> c = NfcData.CombiningClasses;
        for (int i = 0; i < c.Length; i += 3)
            for (int cp = c[i]; cp <= c[i + 1]; cp++)
                s_combiningClasses[cp] = (byte)c[i + 2];
    }

    /// <summary>The NFC form of <paramref name="text"/>; the same instance when it is already NFC.</summary>
    /// <remarks>Unpaired surrogates become U+FFFD, as they would when the text is encoded as UTF-8.</remarks>
    public static string Normalize(string text)
    {
        if (IsQuickNfc(text)) return text;

        int[] buffer = ArrayPool<int>.Shared.Rent(text.Length * 4 + 4);
        try
        {
            int count = 0;
            foreach (Rune rune in text.EnumerateRunes())
                Decompose(rune.Value, ref buffer, ref count);
            SortCombiningMarks(buffer.AsSpan(0, count));
            count = Compose(buffer.AsSpan(0, count));

            var sb = new StringBuilder(count + 8);
            for (int i = 0; i < count; i++) sb.Append(new Rune(buffer[i]));
            return sb.ToString();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// True when no code point needs work: none decomposes without recomposing, none is a combining
    /// mark, none could join the one before it. A "no" only means the full algorithm must run.
    /// </summary>
    private static bool IsQuickNfc(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (ch < FirstInteresting) continue;
            if (char.IsSurrogate(ch)) return false;
            int cp = ch;
            if (cp is >= VBase and < VBase + VCount || cp is > TBase and < TBase + TCount) return false;
            if (s_combiningClasses.ContainsKey(cp) || s_composeSeconds.Contains(cp) || s_notStable.Contains(cp)) return false;
        }
        return true;
    }

    private static void Decompose(int cp, ref int[] buffer, ref int count)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            int s = cp - SBase;
            Append(LBase + s / NCount, ref buffer, ref count);
            Append(VBase + s % NCount / TCount, ref buffer, ref count);
            if (s % TCount != 0) Append(TBase + s % TCount, ref buffer, ref count);
            return;
        }
        if (s_decompositions.TryGetValue(cp, out var parts))
        {
            Decompose(parts.First, ref buffer, ref count);
            if (parts.Second != 0) Decompose(parts.Second, ref buffer, ref count);
            return;
        }
        Append(cp, ref buffer, ref count);
    }

    private static void Append(int cp, ref int[] buffer, ref int count)
    {
        // Full decompositions are at most 4 code points (U+1F82 and kin), which the rented size allows
        // for; growing covers the rest of the edge cases without trusting that bound.
        if (count == buffer.Length)
        {
            int[] bigger = ArrayPool<int>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(0, count).CopyTo(bigger);
            ArrayPool<int>.Shared.Return(buffer);
            buffer = bigger;
        }
        buffer[count++] = cp;
    }

    /// <summary>Canonical ordering: a stable sort of each run of combining marks by combining class.</summary>
    private static void SortCombiningMarks(Span<int> cps)
    {
        for (int i = 1; i < cps.Length; i++)
        {
            int cp = cps[i];
            int cls = CombiningClass(cp);
            if (cls == 0) continue;
            int j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > cls)
            {
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
    }

    /// <summary>Canonical composition in place; returns the new length.</summary>
    private static int Compose(Span<int> cps)
    {
        int written = 0;
        int starter = -1;     // index in the output of the last starter
        int lastClass = -1;   // class of the last code point written after that starter; -1 when adjacent
        for (int i = 0; i < cps.Length; i++)
        {
            int cp = cps[i];
            int cls = CombiningClass(cp);
            // A mark joins the starter unless something between them blocks it: a starter, or a mark
            // of the same or a higher class (the run is sorted, so the last one written decides).
            if (starter >= 0 && (lastClass == -1 || (lastClass != 0 && lastClass < cls))
                && TryCompose(cps[starter], cp, out int composite))
            {
                cps[starter] = composite;
                continue;
            }
            if (cls == 0)
            {
                starter = written;
                lastClass = -1;
            }
            else
            {
                lastClass = cls;
            }
            cps[written++] = cp;
        }
        return written;
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first is >= LBase and < LBase + LCount && second is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first is >= SBase and < SBase + SCount && (first - SBase) % TCount == 0 && second is > TBase and < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return s_compositions.TryGetValue(PairKey(first, second), out composite);
    }

    private static int CombiningClass(int cp) =>
        cp >= FirstInteresting && s_combiningClasses.TryGetValue(cp, out byte cls) ? cls : 0;

    private static long PairKey(int first, int second) => ((long)first << 32) | (uint)second;
}
