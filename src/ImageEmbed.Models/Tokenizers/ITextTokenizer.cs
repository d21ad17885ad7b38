namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// What a text tower needs from its tokenizer: token ids with the model's special tokens, and the
/// fixed-length window the encoder takes. Implementations are immutable and thread-safe.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Token ids of <paramref name="text"/> with the model's special tokens, untruncated (for counting and debugging).</summary>
    /// <exception cref="TokenizerException">The text needs a symbol the vocabulary lacks and the file defines no unknown token.</exception>
    int[] Encode(string text);

    /// <summary>
    /// Writes the encoder's fixed-length input for user text: the tokens, cut so that the end token is still
    /// last, then padding up to <paramref name="contextLength"/>. Special tokens spelled out in the text are
    /// plain characters, so no text can end itself early.
    /// </summary>
    /// <returns>The number of real tokens (special tokens included, padding not).</returns>
    int Encode(string text, int contextLength, Span<long> ids, Span<long> attentionMask);
}

/// <summary>The tokenizer kinds a manifest's <c>text.tokenizer_type</c> names, and loading them.</summary>
public static class TextTokenizers
{
    /// <summary>CLIP's byte-level BPE (<see cref="ClipTokenizer"/>).</summary>
    public const string Clip = "clip";

    /// <summary>SigLIP's SentencePiece (Unigram) tokenizer with its text canonicalization (<see cref="SiglipTokenizer"/>).</summary>
    public const string Siglip = "siglip";

    public static IReadOnlyList<string> Known { get; } = [Clip, Siglip];

    /// <summary>Loads the tokenizer of kind <paramref name="type"/> from a <c>tokenizer.json</c> (or a folder holding one).</summary>
    /// <exception cref="TokenizerException">The file is malformed or is not a tokenizer of that kind.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static ITextTokenizer Load(string path, string type) => type switch
    {
        Clip => ClipTokenizer.Load(path),
        Siglip => SiglipTokenizer.Load(path),
        _ => throw new ArgumentException($"Unknown tokenizer type '{type}' (known: {string.Join(", ", Known)}).", nameof(type)),
    };

    /// <summary>The kind a <c>tokenizer.json</c> holds, from its <c>model.type</c>: BPE is CLIP's, Unigram SigLIP's.</summary>
    /// <exception cref="TokenizerException">The file is not JSON or holds another kind of model.</exception>
    public static string Detect(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, ClipTokenizer.FileName) : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"No tokenizer file at {file}.", file);
        try
        {
            using FileStream stream = File.OpenRead(file);
            using var document = System.Text.Json.JsonDocument.Parse(stream);
            string? model = document.RootElement.TryGetProperty("model", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Object
                && m.TryGetProperty("type", out var t) ? t.GetString() : null;
            return model switch
            {
                "BPE" or null => Clip,
                "Unigram" => Siglip,
                _ => throw new TokenizerException(file, $"model.type is '{model}'; known are BPE (CLIP) and Unigram (SigLIP)."),
            };
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TokenizerException(file, $"not valid JSON ({e.Message})", e);
        }
    }
}
