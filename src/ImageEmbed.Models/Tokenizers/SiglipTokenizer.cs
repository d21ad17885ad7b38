using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// SigLIP's tokenizer: the text canonicalized as Hugging Face's <c>SiglipTokenizer</c> and Big Vision do
/// (lower-cased, ASCII punctuation removed, runs of whitespace made one space, trimmed), then the
/// SentencePiece Unigram model of a <c>tokenizer.json</c> through Microsoft.ML.Tokenizers (which applies the
/// file's own normalizer and Metaspace pre-tokenizer), then the end token <c>&lt;/s&gt;</c>; no start token.
/// Fixed-length encodings are padded with the pad token (SigLIP: <c>&lt;/s&gt;</c> again).
/// </summary>
/// <remarks>
/// The canonicalization is applied here rather than left to the file because Transformers' reference
/// (the slow, sentencepiece-backed tokenizer the model was published with) does it in code; a
/// <c>tokenizer.json</c> that repeats it in its normalizer gets the same ids, since each step is idempotent.
/// </remarks>
public sealed class SiglipTokenizer : ITextTokenizer
{
    private const string EndOfSentence = "</s>";
    private readonly SentencePieceTokenizer _model;

    private SiglipTokenizer(SentencePieceTokenizer model, int eosId, int padId)
    {
        _model = model;
        EosId = eosId;
        PadId = padId;
    }

    /// <summary>The end token every encoding ends with (1 for SigLIP).</summary>
    public int EosId { get; }

    /// <summary>The id that fills a fixed-length encoding after <see cref="EosId"/>.</summary>
    public int PadId { get; }

    /// <summary>Reads a <c>tokenizer.json</c> holding a Unigram model.</summary>
    /// <param name="path">The file, or a folder holding <c>tokenizer.json</c>.</param>
    /// <remarks>The pad token comes from <c>tokenizer_config.json</c> beside the file, else it is the end token (as SigLIP's).</remarks>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="TokenizerException">The file is not a Unigram <c>tokenizer.json</c> Microsoft.ML.Tokenizers can read, or lacks <c>&lt;/s&gt;</c>.</exception>
    public static SiglipTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, ClipTokenizer.FileName) : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"No tokenizer file at {file}.", file);

        SentencePieceTokenizer model;
        try
        {
            using FileStream stream = File.OpenRead(file);
            model = SentencePieceTokenizer.CreateFromTokenizerJson(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or FormatException or InvalidDataException or JsonException)
        {
            throw new TokenizerException(file, $"not a SentencePiece Unigram tokenizer.json that Microsoft.ML.Tokenizers reads: {e.Message}", e);
        }

        int eos = Id(model, EndOfSentence) ?? throw new TokenizerException(file, $"the vocabulary has no end token '{EndOfSentence}'.");
        string? padToken = TokenizerConfig.PadToken(file);
        int pad = padToken is null ? eos
            : Id(model, padToken) ?? throw new TokenizerException(file, $"pad_token '{padToken}' of {TokenizerConfig.FileName} is not in the vocabulary.");
        return new SiglipTokenizer(model, eos, pad);
    }

    private static int? Id(SentencePieceTokenizer model, string token) =>
        model.Vocabulary.TryGetValue(token, out int id) || (model.SpecialTokens?.TryGetValue(token, out id) ?? false) ? id : null;

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<int> tokens = Tokens(Canonicalize(text), int.MaxValue);
        tokens.Add(EosId);
        return [.. tokens];
    }

    /// <inheritdoc/>
    public int Encode(string text, int contextLength, Span<long> ids, Span<long> attentionMask)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 1);
        if (ids.Length < contextLength || attentionMask.Length < contextLength)
            throw new ArgumentException($"ids and attentionMask need {contextLength} elements.", nameof(ids));

        // At most contextLength - 1 tokens, so the end token is always there (Transformers' truncation does the same).
        List<int> tokens = Tokens(Canonicalize(text), contextLength - 1);
        int count = tokens.Count;
        for (int i = 0; i < count; i++) ids[i] = tokens[i];
        ids[count++] = EosId;
        attentionMask[..count].Fill(1);
        ids[count..contextLength].Fill(PadId);
        attentionMask[count..contextLength].Clear();
        return count;
    }

    /// <summary>
    /// The first <paramref name="limit"/> tokens of <paramref name="text"/>, a run of unknown pieces made one
    /// unknown token as SentencePiece and Hugging Face's Unigram do (Microsoft.ML.Tokenizers keeps one per
    /// character). Tokenizing stops near the limit, so a long text costs little more than a short one.
    /// </summary>
    private List<int> Tokens(string text, int limit)
    {
        int budget = limit == int.MaxValue ? int.MaxValue : Math.Max(limit, 16);
        while (true)
        {
            IReadOnlyList<int> raw = _model.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false, budget, out _, out int consumed);
            var tokens = new List<int>(Math.Min(raw.Count, limit) + 1);
            foreach (int id in raw)
            {
                if (id == _model.UnknownId && tokens.Count > 0 && tokens[^1] == id) continue;
                if (tokens.Count == limit) break;
                tokens.Add(id);
            }
            // Fused unknowns can leave the window short while text remains: read further.
            if (tokens.Count >= limit || consumed >= text.Length || budget == int.MaxValue) return tokens;
            budget = budget > int.MaxValue / 2 ? int.MaxValue : budget * 2;
        }
    }

    /// <summary>
    /// SigLIP's text canonicalization (Transformers' <c>SiglipTokenizer</c>: lower case, then Big Vision's
    /// <c>canonicalize_text</c>): ASCII punctuation removed, each run of whitespace one space, trimmed.
    /// </summary>
    /// <remarks>
    /// Lower case as Python's <c>str.lower</c> applied one character at a time, which is what Transformers does:
    /// the one-to-one Unicode mapping, except that U+0130 (İ) becomes "i" and a combining dot, and no
    /// final-sigma rule.
    /// </remarks>
    public static string Canonicalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        bool space = false;
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (rune.IsAscii && rune.Value is >= '!' and <= '~' && !char.IsAsciiLetterOrDigit((char)rune.Value)) continue; // string.punctuation
            if (Rune.IsWhiteSpace(rune) || rune.Value is >= 0x1C and <= 0x1F) // Python's \s also takes the separators U+001C..U+001F
            {
                space = builder.Length > 0;
                continue;
            }
            if (space) builder.Append(' ');
            space = false;
            if (rune.Value == 0x130) builder.Append("i\u0307");
            else builder.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return builder.ToString();
    }
}
