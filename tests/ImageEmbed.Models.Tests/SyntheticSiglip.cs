using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageEmbed.Tests;

/// <summary>
/// A SigLIP-shaped model made by the tests (no SigLIP weights or tokenizer can be fetched here), laid out as
/// a transformers.js export on the hub: <c>config.json</c> (model_type siglip), <c>preprocessor_config.json</c>
/// (224×224 squash, bicubic, mean/std 0.5), a SentencePiece Unigram <c>tokenizer.json</c> shaped like SigLIP's
/// (pad 0, <c>&lt;/s&gt;</c> 1, <c>&lt;unk&gt;</c> 2, byte fallback; a normalizer that canonicalizes as SigLIP does;
/// Metaspace; an end-token template), <c>tokenizer_config.json</c> (pad token <c>&lt;/s&gt;</c>) and two towers with the
/// export's tensor names and shapes (vision <c>pixel_values</c> float[N,3,224,224] → <c>pooler_output</c>
/// float[N,768]; text <c>input_ids</c> int64[N,64] → <c>pooler_output</c> float[N,768]).
/// </summary>
internal static class SyntheticSiglip
{
    public const int Dimensions = 768;
    public const int ContextLength = 64;

    /// <summary>Words the vocabulary holds whole (with the word-start mark), besides letters, digits and a few pieces.</summary>
    private static readonly string[] Words =
    [
        "a", "an", "the", "photo", "of", "picture", "image", "cat", "dog", "cats", "dogs", "on", "in", "with", "and", "at", "by",
        "red", "black", "white", "grey", "blue", "green", "small", "large", "little", "big", "old", "young", "two", "three",
        "bird", "fish", "snake", "fox", "wolf", "bear", "crab", "frog", "swan", "lion", "sea", "water", "night", "american",
        "terrier", "hound", "spaniel", "dog", "car", "truck", "boat", "street", "house", "tree", "flower", "beach", "mountain",
        "sunset", "city", "man", "woman", "child", "people", "running", "sitting", "eating", "playing", "close", "up", "view",
        "is", "this", "that", "it", "from", "for", "to", "cafe", "cafes", "über", "naïve",
    ];

    private static readonly string[] Pieces = ["ing", "ed", "er", "s", "ly", "tion", "ous", "al", "an", "ar", "or", "en", "in", "on", "st", "th", "sh", "ch", "re", "un", "le", "ow"];

    /// <summary>The tokenizer.json text (a Unigram model with seeded scores, so no two segmentations tie).</summary>
    /// <param name="byteFallback">SigLIP's setting (true); false makes a character without a piece one <c>&lt;unk&gt;</c>, runs of them one.</param>
    public static string TokenizerJson(bool byteFallback = true)
    {
        var rng = new Random(23);
        // As SigLIP's: pad, end and unknown first, then the 256 byte pieces of byte fallback (a character without a
        // piece becomes its UTF-8 bytes), then the word pieces.
        var vocab = new List<(string Piece, double Score)> { ("<pad>", 0), ("</s>", 0), ("<unk>", 0) };
        if (byteFallback) for (int b = 0; b < 256; b++) vocab.Add(($"<0x{b:X2}>", 0));
        vocab.Add(("▁", -2.5));
        var seen = new HashSet<string>(vocab.Select(v => v.Piece), StringComparer.Ordinal);
        void Add(string piece, double score)
        {
            if (seen.Add(piece)) vocab.Add((piece, Math.Round(score, 6)));
        }
        foreach (string word in Words) Add("▁" + word, -4 - rng.NextDouble() * 3);
        foreach (string piece in Pieces)
        {
            Add(piece, -6 - rng.NextDouble() * 2);
            Add("▁" + piece, -6.5 - rng.NextDouble() * 2);
        }
        foreach (char c in "abcdefghijklmnopqrstuvwxyz0123456789éèüïñç")
        {
            Add(c.ToString(), -9 - rng.NextDouble() * 2);
            Add("▁" + c, -9.5 - rng.NextDouble() * 2);
        }

        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(
                Added(0, "<pad>"), Added(1, "</s>"), Added(2, "<unk>")),
            // What SigLIP's reference does in code (Transformers' SiglipTokenizer): lower case, ASCII punctuation
            // removed, whitespace runs to one space, trimmed. The real file also carries SentencePiece's nmt_nfkc
            // charsmap (precompiled_charsmap), which cannot be built here; an NFKC step cannot stand in for it, since
            // the service runs with invariant globalization (no ICU), where string normalization leaves text as is.
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Lowercase" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = @"[!-/:-@\[-`{-~]" }, ["content"] = "" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = @"\s+" }, ["content"] = " " },
                    new JsonObject { ["type"] = "Strip", ["strip_left"] = true, ["strip_right"] = true }),
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "</s>", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "</s>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "</s>", ["type_id"] = 0 } }),
                ["special_tokens"] = new JsonObject { ["</s>"] = new JsonObject { ["id"] = "</s>", ["ids"] = new JsonArray(1), ["tokens"] = new JsonArray("</s>") } },
            },
            ["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "always", ["split"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "Unigram",
                ["unk_id"] = 2,
                ["byte_fallback"] = byteFallback,
                ["vocab"] = new JsonArray(vocab.Select(v => (JsonNode)new JsonArray(v.Piece, v.Score)).ToArray()),
            },
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    private static JsonObject Added(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
    };

    public const string TokenizerConfigJson = """{ "model_max_length": 64, "pad_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>", "do_lower_case": true, "tokenizer_class": "SiglipTokenizer" }""";

    public static string ConfigJson(int dimensions = Dimensions) => $$"""
        {
          "_name_or_path": "test/synthetic-siglip",
          "architectures": ["SiglipModel"],
          "model_type": "siglip",
          "initializer_factor": 1.0,
          "text_config": { "model_type": "siglip_text_model", "hidden_size": {{dimensions}}, "max_position_embeddings": {{ContextLength}}, "vocab_size": 32000 },
          "vision_config": { "model_type": "siglip_vision_model", "hidden_size": {{dimensions}}, "image_size": 224, "patch_size": 16 },
          "transformers_version": "4.37.0.dev0"
        }
        """;

    public const string PreprocessorConfigJson = """
        {
          "do_normalize": true, "do_rescale": true, "do_resize": true,
          "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
          "image_processor_type": "SiglipImageProcessor", "processor_class": "SiglipProcessor",
          "resample": 3, "rescale_factor": 0.00392156862745098,
          "size": { "height": 224, "width": 224 }
        }
        """;

    /// <summary>Every file of the synthetic repository, by path.</summary>
    public static Dictionary<string, byte[]> RepositoryFiles(int seed = 11) => new()
    {
        ["config.json"] = Encoding.UTF8.GetBytes(ConfigJson()),
        ["preprocessor_config.json"] = Encoding.UTF8.GetBytes(PreprocessorConfigJson),
        ["tokenizer.json"] = Encoding.UTF8.GetBytes(TokenizerJson()),
        ["tokenizer_config.json"] = Encoding.UTF8.GetBytes(TokenizerConfigJson),
        ["special_tokens_map.json"] = """{ "eos_token": "</s>", "pad_token": "</s>", "unk_token": "<unk>" }"""u8.ToArray(),
        ["onnx/vision_model.onnx"] = SyntheticTowers.Serialize(SyntheticTowers.Vision("synthetic_siglip_vision", "pooler_output", Dimensions, new Random(seed))),
        ["onnx/text_model.onnx"] = SyntheticTowers.Serialize(SyntheticTowers.Text("synthetic_siglip_text", "pooler_output", Dimensions, ContextLength, new Random(seed + 1))),
    };

    /// <summary>
    /// At least 100 texts for tokenizer parity: captions from the dev labels, and the edges of the recipe. Special
    /// tokens spelled out (<c>&lt;/s&gt;</c>) are left out: the service reads them as text on purpose, where
    /// tokenizers.js makes them ids (SiglipTokenizerTests checks that case on its own); so is a final capital sigma,
    /// which JavaScript lower-cases by context (ς) where Python and Rust, one character at a time, give σ.
    /// </summary>
    public static IReadOnlyList<string> ParityTexts()
    {
        var texts = new List<string>();
        foreach (string line in File.ReadLines(Path.Combine(TestPaths.DevImages, "LABELS.tsv")).Skip(1))
            texts.Add($"a photo of a {line.Split('\t')[2]}.");
        texts.AddRange(
        [
            "", " ", "a", "A", "cat", "CAT", "Cat!", "a photo of a cat", "A Photo Of A Cat.", "a  photo\tof\na cat",
            "   leading and trailing   ", "two dogs, three cats; one bird?", "it's a dog's life", "red-backed sandpiper",
            "snake_case_words", "C++ & C#", "(parenthesised) [bracketed] {braced}", "\"quoted\" 'single'", "e-mail@example.com",
            "100% sure", "$5 for 2", "1234567890", "3.14159", "version 2.0.1", "café", "CAFÉ", "naïve über", "Ｆｕｌｌｗｉｄｔｈ ｃａｔ",
            "ﬁne ligature", "x²", "caffè latte", "niño", "mañana", "façade", "crème brûlée",
            "photograph", "unphotographed", "runningly", "stationary", "xyzzy",
            "qwertyuiop asdfghjkl", "the the the the", "a-b-c-d", "...", "!!!", "?", "a.b.c", "dog.cat", "sea lion's",
            "Sitting on the beach at sunset", "A Little Old House In The City", "big red truck on the street",
            "close-up view of a flower", "people playing in the water", "man and woman running up the mountain",
            "日本語のテキスト", "猫の写真", "🐱 cat emoji 🐶", "mixed 猫 cat", "Ελληνικά", "русский текст",
            "شخص يرتدي درعًا أحمر", "लाल कवच पहने पात्र", "빨간 갑옷", "photographer 👩‍💻 and 🧑🏽‍🎤", "red ❤️ heart",
            "blue\u0000hair", "blue\u200Bhair", "𠮷野家", "İstanbul", string.Concat(Enumerable.Repeat("🦊", 40)),
            string.Concat(Enumerable.Repeat("a photo of a cat ", 20)), string.Concat(Enumerable.Repeat("x", 200)),
        ]);
        return texts;
    }
}
