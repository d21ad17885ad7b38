using System.Text.Json;

namespace ImageEmbed.Models.Tokenizers;

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
            using var document = JsonDocument.Parse(stream);
            string? model = document.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.Object
                && m.TryGetProperty("type", out var t) ? t.GetString() : null;
            return model switch
            {
                "BPE" or null => Clip,
                "Unigram" => Siglip,
                _ => throw new TokenizerException(file, $"model.type is '{model}'; known are BPE (CLIP) and Unigram (SigLIP)."),
            };
        }
        catch (JsonException e)
        {
            throw new TokenizerException(file, $"not valid JSON ({e.Message})", e);
        }
    }
}
