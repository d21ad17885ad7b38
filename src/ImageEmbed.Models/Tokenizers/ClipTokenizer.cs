using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE tokenizer, read from a Hugging Face <c>tokenizer.json</c>, giving the same ids
/// as the Hugging Face (Rust) tokenizer over the same file.
/// </summary>
/// <remarks>
/// <para>The recipe (the one <c>openai/clip-vit-base-patch32</c>'s <c>tokenizer.json</c> describes):
/// added tokens whose <c>normalized</c> flag is false are cut out of the raw text first (a literal
/// <c>&lt;|endoftext|&gt;</c> becomes its id, as in openai/CLIP); each remaining segment is put in NFC,
/// every run of whitespace becomes one space, and it is lower-cased; normalized added tokens
/// (<c>&lt;|startoftext|&gt;</c>) are cut out next; the rest is split with CLIP's pattern
/// <see cref="ClipPattern"/>, keeping only the matches; each piece's UTF-8 bytes are mapped to GPT-2's
/// byte alphabet and merged by BPE, with the model's <c>end_of_word_suffix</c> (<c>&lt;/w&gt;</c>) on
/// the last symbol.</para>
/// <para>Immutable after <see cref="Load"/> and safe to share between threads; the per-word cache is
/// a concurrent dictionary.</para>
/// </remarks>
public sealed partial class ClipTokenizer : ITextTokenizer
{
    /// <summary>The file name looked for when <see cref="Load"/> is given a folder.</summary>
    public const string FileName = "tokenizer.json";

    /// <summary>CLIP's pre-tokenizer pattern, as <c>tokenizer.json</c> spells it.</summary>
    /// <remarks>
    /// Applied by a hand-written scanner rather than <see cref="System.Text.RegularExpressions.Regex"/>:
    /// .NET regular expressions classify UTF-16 code units, so a letter outside the BMP (U+1D400,
    /// CJK extension B) would count as "neither letter nor number" and change the split, while the
    /// reference implementation classifies code points.
    /// </remarks>
    public const string ClipPattern = @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

    // The Hugging Face BPE model caches 10,000 words by default; the same bound keeps memory flat
    // however many distinct words a long-running service sees. Long words are rare and cheap to
    // recompute relative to their size, so they are not cached.
    private const int CacheCapacity = 10_000;
    private const int MaxCachedWordLength = 64;

    private readonly string _path;
    private readonly int[] _byteIds;       // symbol id of each byte inside a word; -1 when absent
    private readonly int[] _byteEndIds;    // the same with end_of_word_suffix, for a word's last byte
    private readonly Dictionary<long, Merge> _merges;
    private readonly AddedToken[] _rawAddedTokens;
    private readonly AddedToken[] _normalizedAddedTokens;
    private readonly int _unkId;           // -1: the file defines none
    private readonly bool _fuseUnk;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    [ThreadStatic] private static List<int>? t_tokens;
    [ThreadStatic] private static PriorityQueue<int, long>? t_mergeQueue;

    /// <summary>The start-of-text id every encoding begins with (49406 for CLIP).</summary>
    public int BosId { get; }

    /// <summary>The end-of-text id every encoding ends with (49407 for CLIP).</summary>
    public int EosId { get; }

    /// <summary>The id that fills a fixed-length encoding after <see cref="EosId"/> (49407 for CLIP).</summary>
    public int PadId { get; }

    /// <summary>One more than the largest token id: the row count of the text encoder's embedding table (49408 for CLIP).</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// Token ids of <paramref name="text"/>: <see cref="BosId"/>, the tokens, <see cref="EosId"/>,
    /// without truncation. Empty or whitespace-only text gives just the two.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="TokenizerException">A byte of the text has no symbol in the vocabulary and the file defines no unknown token.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<int> tokens = RentTokenList();
        tokens.Add(BosId);
        AppendTokens(text, tokens, int.MaxValue);
        tokens.Add(EosId);
        return tokens.ToArray();
    }

    /// <summary>
    /// Writes the fixed-length encoding the CLIP text encoder takes: <see cref="BosId"/>, at most
    /// <paramref name="contextLength"/> - 2 tokens, <see cref="EosId"/>, then <see cref="PadId"/> up to
    /// <paramref name="contextLength"/>. Longer text is cut so that the end token is still last, as
    /// openai/CLIP's <c>tokenize(truncate=True)</c> does, because the encoder reads its output there.
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="contextLength">The model's text length (77 for CLIP); at least 2.</param>
    /// <param name="ids">Receives the ids in its first <paramref name="contextLength"/> elements.</param>
    /// <param name="attentionMask">Receives 1 for the start token through the end token and 0 for padding, in its first <paramref name="contextLength"/> elements.</param>
    /// <returns>The number of real tokens, start and end tokens included, before the padding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="contextLength"/> is less than 2.</exception>
    /// <exception cref="ArgumentException"><paramref name="ids"/> or <paramref name="attentionMask"/> is shorter than <paramref name="contextLength"/>.</exception>
    /// <exception cref="TokenizerException">A byte of the text has no symbol in the vocabulary and the file defines no unknown token.</exception>
    /// <param name="specialTokensAsText">
    /// Treat added tokens spelled out in the text (<c>&lt;|endoftext|&gt;</c>) as the characters they are, as Hugging
    /// Face's <c>split_special_tokens=True</c> does; otherwise they become their ids. Text from users should not be
    /// able to end itself early: <c>"&lt;|endoftext|&gt; a cat"</c> would embed like the empty text.
    /// </param>
    public int Encode(string text, int contextLength, Span<long> ids, Span<long> attentionMask, bool specialTokensAsText = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        if (ids.Length < contextLength)
            throw new ArgumentException($"ids has {ids.Length} elements but contextLength is {contextLength}.", nameof(ids));
        if (attentionMask.Length < contextLength)
            throw new ArgumentException($"attentionMask has {attentionMask.Length} elements but contextLength is {contextLength}.", nameof(attentionMask));

        List<int> tokens = RentTokenList();
        tokens.Add(BosId);
        // Tokenizing stops once the window is full, so a long text costs no more than a short one.
        AppendTokens(text, tokens, contextLength - 1, specialTokensAsText);
        tokens.Add(EosId);

        int count = tokens.Count;
        for (int i = 0; i < count; i++)
        {
            ids[i] = tokens[i];
            attentionMask[i] = 1;
        }
        ids[count..contextLength].Fill(PadId);
        attentionMask[count..contextLength].Clear();
        return count;
    }

    /// <inheritdoc/>
    int ITextTokenizer.Encode(string text, int contextLength, Span<long> ids, Span<long> attentionMask) =>
        Encode(text, contextLength, ids, attentionMask, specialTokensAsText: true);

    private static List<int> RentTokenList()
    {
        List<int> tokens = t_tokens ??= new List<int>(128);
        tokens.Clear();
        return tokens;
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="output"/> until it holds <paramref name="limit"/> ids.</summary>
    private void AppendTokens(string text, List<int> output, int limit, bool specialTokensAsText = false)
    {
        // Added tokens with normalized=false are matched in the raw text, before normalization,
        // as the Hugging Face AddedVocabulary does; each segment between them is normalized alone.
        int pos = 0;
        while (pos < text.Length && output.Count < limit)
        {
            int start = 0, end = 0, id = 0;
            bool found = !specialTokensAsText && FindAddedToken(text, pos, _rawAddedTokens, out start, out end, out id);
            int segmentEnd = found ? start : text.Length;
            if (segmentEnd > pos)
            {
                string segment = pos == 0 && segmentEnd == text.Length ? text : text[pos..segmentEnd];
                AppendNormalizedSegment(segment, output, limit, specialTokensAsText);
            }
            if (!found) break;
            if (output.Count < limit) output.Add(id);
            pos = end;
        }
    }

    private void AppendNormalizedSegment(string segment, List<int> output, int limit, bool specialTokensAsText)
    {
        string nfc = UnicodeNfc.Normalize(segment);
        // Lower-casing İ gives two chars, every other mapping at most the length it replaces.
        char[] buffer = ArrayPool<char>.Shared.Rent(nfc.Length * 2 + 2);
        try
        {
            ReadOnlySpan<char> text = buffer.AsSpan(0, CollapseWhitespaceAndLowercase(nfc, buffer));
            int pos = 0;
            while (pos < text.Length && output.Count < limit)
            {
                int start = 0, end = 0, id = 0;
                bool found = !specialTokensAsText && FindAddedToken(text, pos, _normalizedAddedTokens, out start, out end, out id);
                int segmentEnd = found ? start : text.Length;
                if (segmentEnd > pos) AppendPieces(text[pos..segmentEnd], output, limit);
                if (!found) break;
                if (output.Count < limit) output.Add(id);
                pos = end;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The Replace(<c>\s+</c> → space) and Lowercase normalizers. Lower-casing follows Rust's
    /// <c>char::to_lowercase</c>: .NET's invariant simple mapping, plus İ (U+0130) → i + U+0307,
    /// the one unconditional multi-character mapping, which .NET's invariant mode leaves alone.
    /// </summary>
    private static int CollapseWhitespaceAndLowercase(string text, Span<char> output)
    {
        int written = 0;
        bool inSpace = false;
        for (int i = 0; i < text.Length;)
        {
            char ch = text[i];
            if (ch < 0x80)
            {
                i++;
                if (ch is ' ' or (>= '\t' and <= '\r'))
                {
                    if (!inSpace) output[written++] = ' ';
                    inSpace = true;
                    continue;
                }
                inSpace = false;
                output[written++] = ch is >= 'A' and <= 'Z' ? (char)(ch | 0x20) : ch;
                continue;
            }

            Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int consumed);
            i += consumed;
            if (Rune.IsWhiteSpace(rune))
            {
                if (!inSpace) output[written++] = ' ';
                inSpace = true;
                continue;
            }
            inSpace = false;
            if (rune.Value == 0x130)
            {
                output[written++] = 'i';
                output[written++] = '\u0307';
                continue;
            }
            written += Rune.ToLowerInvariant(rune).EncodeToUtf16(output[written..]);
        }
        return written;
    }

    /// <summary>
    /// Leftmost-longest match of an added token at or after <paramref name="from"/>, widened over
    /// whitespace on the sides its <c>lstrip</c>/<c>rstrip</c> flags name.
    /// </summary>
    private static bool FindAddedToken(ReadOnlySpan<char> text, int from, AddedToken[] tokens, out int start, out int end, out int id)
    {
        start = -1;
        end = -1;
        id = -1;
        AddedToken? best = null;
        ReadOnlySpan<char> rest = text[from..];
        foreach (AddedToken token in tokens)
        {
            int index = rest.IndexOf(token.Content, StringComparison.Ordinal);
            if (index < 0) continue;
            index += from;
            if (best is null || index < start || (index == start && token.Content.Length > best.Value.Content.Length))
            {
                best = token;
                start = index;
            }
        }
        if (best is not AddedToken match) return false;

        end = start + match.Content.Length;
        id = match.Id;
        if (match.LStrip)
            while (start > from && char.IsWhiteSpace(text[start - 1])) start--;
        if (match.RStrip)
            while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
        return true;
    }

    /// <summary>
    /// Splits normalized text with <see cref="ClipPattern"/> (only the matches are kept) and encodes
    /// each piece. Each alternative is tried in the pattern's order at the first non-space code point.
    /// </summary>
    private void AppendPieces(ReadOnlySpan<char> text, List<int> output, int limit)
    {
        int i = 0;
        while (i < text.Length && output.Count < limit)
        {
            Rune rune = RuneAt(text, i, out int consumed);
            if (Rune.IsWhiteSpace(rune))
            {
                i += consumed;
                continue;
            }

            int start = i;
            if (rune.Value == '<' && TryMatchSpecialLiteral(text[i..], out int nameLength))
            {
                // The ByteLevel pre-tokenizer that follows the split runs GPT-2's pattern over each
                // piece, which cuts "<|endoftext|>" into "<|", "endoftext", "|>": encode them so.
                AppendWord(text.Slice(i, 2), output, limit);
                AppendWord(text.Slice(i + 2, nameLength), output, limit);
                AppendWord(text.Slice(i + 2 + nameLength, 2), output, limit);
                i += nameLength + 4;
                continue;
            }

            if (rune.Value == '\'' && ContractionLength(text[(i + 1)..]) is int suffix and > 0)
            {
                i += 1 + suffix;
            }
            else if (Rune.IsLetter(rune))
            {
                i += consumed;
                while (i < text.Length && Rune.IsLetter(RuneAt(text, i, out consumed))) i += consumed;
            }
            else if (Rune.IsNumber(rune))
            {
                i += consumed;
            }
            else
            {
                i += consumed;
                while (i < text.Length && IsOther(RuneAt(text, i, out consumed))) i += consumed;
            }
            AppendWord(text[start..i], output, limit);
        }
    }

    /// <summary>The code point at <paramref name="index"/>; an unpaired surrogate reads as U+FFFD, as UTF-8 encoding will write it.</summary>
    private static Rune RuneAt(ReadOnlySpan<char> text, int index, out int consumed)
    {
        Rune.DecodeFromUtf16(text[index..], out Rune rune, out consumed);
        return rune;
    }

    /// <summary><c>[^\s\p{L}\p{N}]</c>: punctuation, symbols, marks, controls.</summary>
    private static bool IsOther(Rune rune) => !Rune.IsWhiteSpace(rune) && !Rune.IsLetter(rune) && !Rune.IsNumber(rune);

    private static bool TryMatchSpecialLiteral(ReadOnlySpan<char> text, out int nameLength)
    {
        nameLength = text.StartsWith("<|startoftext|>", StringComparison.Ordinal) ? "startoftext".Length
            : text.StartsWith("<|endoftext|>", StringComparison.Ordinal) ? "endoftext".Length
            : 0;
        return nameLength > 0;
    }

    /// <summary>Length after the apostrophe of <c>'s|'t|'re|'ve|'m|'ll|'d</c>, or 0.</summary>
    private static int ContractionLength(ReadOnlySpan<char> afterApostrophe)
    {
        if (afterApostrophe.IsEmpty) return 0;
        switch (afterApostrophe[0])
        {
            case 's' or 't' or 'm' or 'd':
                return 1;
            case 'r' or 'v':
                return afterApostrophe.Length > 1 && afterApostrophe[1] == 'e' ? 2 : 0;
            case 'l':
                return afterApostrophe.Length > 1 && afterApostrophe[1] == 'l' ? 2 : 0;
            default:
                return 0;
        }
    }

    private void AppendWord(ReadOnlySpan<char> word, List<int> output, int limit)
    {
        bool cacheable = word.Length <= MaxCachedWordLength;
        if (!cacheable || !_cacheLookup.TryGetValue(word, out int[]? ids))
        {
            ids = EncodeWord(word);
            // Once the cache is full it stops growing, like the Hugging Face BPE cache; the count is a
            // lower bound under races, which can overshoot the cap by at most the number of threads.
            if (cacheable && Volatile.Read(ref _cacheCount) < CacheCapacity && _cacheLookup.TryAdd(word, ids))
                Interlocked.Increment(ref _cacheCount);
        }
        for (int i = 0; i < ids.Length && output.Count < limit; i++)
            output.Add(ids[i]);
    }

    /// <summary>Byte-level BPE of one piece. The result may be cached and shared: never mutate it.</summary>
    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        int byteCount = Encoding.UTF8.GetByteCount(word);
        byte[]? rentedBytes = null;
        int[]? rentedSymbols = null;
        Span<byte> bytes = byteCount <= 256 ? stackalloc byte[256] : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount));
        Span<int> scratch = byteCount <= 128 ? stackalloc int[3 * 128] : (rentedSymbols = ArrayPool<int>.Shared.Rent(3 * byteCount));
        try
        {
            Encoding.UTF8.GetBytes(word, bytes);
            Span<int> symbols = scratch[..byteCount];
            int count = InitialSymbols(bytes[..byteCount], symbols);
            symbols = symbols[..count];
            if (count > 1) MergeAll(symbols, scratch.Slice(byteCount, count), scratch.Slice(2 * byteCount, count));

            int live = 0;
            foreach (int s in symbols)
                if (s >= 0) live++;
            int[] ids = new int[live];
            live = 0;
            foreach (int s in symbols)
                if (s >= 0) ids[live++] = s;
            return ids;
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedSymbols is not null) ArrayPool<int>.Shared.Return(rentedSymbols);
        }
    }

    /// <summary>One symbol per byte (its GPT-2 character), the last with the end-of-word suffix.</summary>
    private int InitialSymbols(ReadOnlySpan<byte> bytes, Span<int> symbols)
    {
        int count = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            int id = i == bytes.Length - 1 ? _byteEndIds[bytes[i]] : _byteIds[bytes[i]];
            if (id < 0)
            {
                if (_unkId < 0)
                    throw new TokenizerException(_path, $"byte 0x{bytes[i]:X2} has no symbol in model.vocab and the model has no unk_token.");
                if (_fuseUnk && count > 0 && symbols[count - 1] == _unkId) continue;
                id = _unkId;
            }
            symbols[count++] = id;
        }
        return count;
    }

    /// <summary>
    /// Applies merges lowest rank first, leftmost first among equal ranks, exactly as the Hugging Face
    /// BPE model's heap does; merged-away symbols are set to -1. O(n log n), so a long word cannot
    /// make encoding quadratic.
    /// </summary>
    private void MergeAll(Span<int> symbols, Span<int> prev, Span<int> next)
    {
        PriorityQueue<int, long> queue = t_mergeQueue ??= new PriorityQueue<int, long>();
        queue.Clear();
        for (int i = 0; i < symbols.Length; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < symbols.Length ? i + 1 : -1;
            if (i + 1 < symbols.Length && _merges.TryGetValue(PairKey(symbols[i], symbols[i + 1]), out Merge m))
                queue.Enqueue(i, QueuePriority(m.Rank, i));
        }

        while (queue.TryDequeue(out int pos, out long priority))
        {
            // Entries go stale when a neighbour merged since they were queued; skip those.
            int right = next[pos];
            if (symbols[pos] < 0 || right < 0) continue;
            if (!_merges.TryGetValue(PairKey(symbols[pos], symbols[right]), out Merge merge) || merge.Rank != (int)(priority >> 32))
                continue;

            symbols[pos] = merge.Id;
            symbols[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;

            if (prev[pos] >= 0 && _merges.TryGetValue(PairKey(symbols[prev[pos]], symbols[pos]), out Merge left))
                queue.Enqueue(prev[pos], QueuePriority(left.Rank, prev[pos]));
            if (next[pos] >= 0 && _merges.TryGetValue(PairKey(symbols[pos], symbols[next[pos]]), out Merge after))
                queue.Enqueue(pos, QueuePriority(after.Rank, pos));
        }
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private static long QueuePriority(int rank, int position) => ((long)rank << 32) | (uint)position;

    private readonly record struct Merge(int Rank, int Id);

    private readonly record struct AddedToken(string Content, int Id, bool LStrip, bool RStrip);
}
