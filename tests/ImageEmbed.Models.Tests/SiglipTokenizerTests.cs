using System.Text.Json;
using ImageEmbed.Models.Tokenizers;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// SigLIP's tokenizer (Microsoft.ML.Tokenizers' SentencePiece Unigram plus SigLIP's canonicalization) against
/// independent tokenizations of the same file: Hugging Face's tokenizers (Rust, what Transformers runs) and
/// tokenizers.js (what transformers.js runs), in Node, over a SigLIP-shaped <c>tokenizer.json</c> the tests build
/// (the real one cannot be fetched here).
/// </summary>
public sealed class SiglipTokenizerTests(ITestOutputHelper output) : IDisposable
{
    private const string TokenizersJs = "@huggingface/tokenizers@0.2.0";
    private const string TokenizersRust = "@anush008/tokenizers@0.6.0";
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-siglip-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteTokenizer(bool withConfig = true, bool byteFallback = true)
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), SyntheticSiglip.TokenizerJson(byteFallback));
        if (withConfig) File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), SyntheticSiglip.TokenizerConfigJson);
        return Path.Combine(_dir, "tokenizer.json");
    }

    [Theory]
    [InlineData(true)]  // SigLIP's vocabulary: byte fallback
    [InlineData(false)] // without: runs of unknown characters are one <unk> (Microsoft.ML.Tokenizers alone gives one per character)
    public async Task Encode_ParityTexts_SameIdsAsHuggingFaceTokenizersAndTokenizersJs(bool byteFallback)
    {
        string file = WriteTokenizer(byteFallback: byteFallback);
        IReadOnlyList<string> texts = SyntheticSiglip.ParityTexts();
        Assert.True(texts.Count >= 100, $"{texts.Count} texts");
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(file);

        (int[][] rust, int[][] js) = await ReferenceIdsAsync(file, texts);

        var mismatches = new List<string>();
        int tokens = 0, comparedWithJs = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            int[] ours = tokenizer.Encode(texts[i]);
            tokens += ours.Length;
            if (!ours.SequenceEqual(rust[i]))
                mismatches.Add($"{JsonSerializer.Serialize(texts[i])}: ours [{string.Join(",", ours)}], tokenizers (Rust) [{string.Join(",", rust[i])}]");
            // tokenizers.js 0.2.0 has no byte fallback: it answers <unk> where the reference spells the bytes out.
            if (byteFallback && js[i].Contains(UnknownId)) continue;
            comparedWithJs++;
            if (!ours.SequenceEqual(js[i]))
                mismatches.Add($"{JsonSerializer.Serialize(texts[i])}: ours [{string.Join(",", ours)}], tokenizers.js [{string.Join(",", js[i])}]");
        }
        output.WriteLine($"byte fallback {byteFallback}: {texts.Count} texts, {tokens} tokens: compared with Hugging Face tokenizers (Rust) for all {texts.Count}, " +
            $"with tokenizers.js for {comparedWithJs}; {mismatches.Count} differences");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.True(comparedWithJs >= 100, $"only {comparedWithJs} texts compared with tokenizers.js");
    }

    [Fact]
    public void Encode_CharacterWithoutAPiece_ItsUtf8BytesAsBytePieces()
    {
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(WriteTokenizer());
        int Byte(int b) => 3 + b; // <0x00> is id 3, after <pad>, </s> and <unk>, as in SigLIP's vocabulary

        int[] ids = tokenizer.Encode("blue\u0000hair 猫");

        // ▁blue, <0x00>, h a i r pieces..., ▁, E7 8C AB (猫 in UTF-8), </s>
        Assert.Equal([Byte(0x00)], ids.Skip(1).Take(1));
        Assert.Equal([Byte(0xE7), Byte(0x8C), Byte(0xAB), 1], ids[^4..]);
        Assert.DoesNotContain(UnknownId, ids);
    }

    [Fact]
    public void EncodeFixedLength_LongText_CutSoTheEndTokenIsLastThenPadded()
    {
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(WriteTokenizer());
        string text = string.Concat(Enumerable.Repeat("a photo of a cat ", 20));
        int[] full = tokenizer.Encode(text);
        var ids = new long[SyntheticSiglip.ContextLength];
        var mask = new long[SyntheticSiglip.ContextLength];

        int count = tokenizer.Encode(text, SyntheticSiglip.ContextLength, ids, mask);

        Assert.True(full.Length > SyntheticSiglip.ContextLength);
        Assert.Equal(SyntheticSiglip.ContextLength, count);
        Assert.Equal(full.Take(63).Select(i => (long)i), ids.Take(63));
        Assert.Equal(tokenizer.EosId, ids[63]);
        Assert.All(mask, m => Assert.Equal(1, m));
    }

    [Fact]
    public void EncodeFixedLength_ShortText_EndTokenThenPadTokenToTheContextLength()
    {
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(WriteTokenizer());
        var ids = new long[SyntheticSiglip.ContextLength];
        var mask = new long[SyntheticSiglip.ContextLength];

        int count = tokenizer.Encode("A photo of a cat.", SyntheticSiglip.ContextLength, ids, mask);

        Assert.Equal(tokenizer.Encode("a photo of a cat").Select(i => (long)i), ids.Take(count));
        Assert.Equal(6, count); // ▁a ▁photo ▁of ▁a ▁cat </s>
        Assert.Equal(1, tokenizer.EosId);
        Assert.Equal(1, tokenizer.PadId); // tokenizer_config.json's pad_token "</s>", as SigLIP's
        Assert.All(ids.Skip(count), id => Assert.Equal(1, id));
        Assert.Equal(Enumerable.Repeat(1L, count).Concat(Enumerable.Repeat(0L, 64 - count)), mask);
    }

    [Fact]
    public void EncodeFixedLength_SpelledOutEndToken_IsTextNotTheEnd()
    {
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(WriteTokenizer());
        var ids = new long[SyntheticSiglip.ContextLength];
        var mask = new long[SyntheticSiglip.ContextLength];

        int count = tokenizer.Encode("</s> a cat", SyntheticSiglip.ContextLength, ids, mask);

        Assert.Equal(tokenizer.Encode("s a cat").Select(i => (long)i), ids.Take(count));
        Assert.DoesNotContain(1L, ids.Take(count - 1));
    }

    [Fact]
    public void Load_WithoutTokenizerConfig_PadsWithTheEndToken()
    {
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(WriteTokenizer(withConfig: false));

        Assert.Equal(tokenizer.EosId, tokenizer.PadId);
    }

    [Fact]
    public void Load_BpeTokenizerJson_RefusedNamingTheFile()
    {
        string clip = Path.Combine(TestPaths.Shared, "tokenizers", "clip-vit-b32", "tokenizer.json");

        var e = Assert.Throws<TokenizerException>(() => SiglipTokenizer.Load(clip));

        Assert.Equal(clip, e.FilePath);
        Assert.Equal(TextTokenizers.Clip, TextTokenizers.Detect(clip));
        Assert.Equal(TextTokenizers.Siglip, TextTokenizers.Detect(WriteTokenizer()));
    }

    [Theory]
    [InlineData("A Photo, Of A Cat!", "a photo of a cat")]
    [InlineData("  two\t\tdogs \n", "two dogs")]
    [InlineData("red-backed sandpiper", "redbacked sandpiper")]
    [InlineData("it's 100% café", "its 100 café")]
    [InlineData("a . b", "a b")]
    [InlineData("...", "")]
    [InlineData("İSTANBUL ΣΟΣ", "i\u0307stanbul σοσ")] // Python's lower, one character at a time
    [InlineData("𐐀 DESERET", "𐐨 deseret")] // letters outside the BMP
    public void Canonicalize_AsSiglipReference(string text, string expected)
    {
        Assert.Equal(expected, SiglipTokenizer.Canonicalize(text));
    }

    private const int UnknownId = 2;

    /// <summary>
    /// Ids for each text, with the file's post-processor (the end token) applied, from two independent tokenizers
    /// in Node: Hugging Face tokenizers 0.22.2 (the Rust library Transformers' fast tokenizers run, through the
    /// @anush008/tokenizers binding) and tokenizers.js (what transformers.js runs).
    /// </summary>
    private async Task<(int[][] Rust, int[][] Js)> ReferenceIdsAsync(string tokenizerJson, IReadOnlyList<string> texts)
    {
        string packages = await NpmPackages.InstallAsync("tokenizers-js", [TokenizersJs, TokenizersRust], "SiglipTokenizerTests compare with Hugging Face tokenizers and");
        string script = Path.Combine(packages, "siglip-parity.mjs");
        await File.WriteAllTextAsync(script, """
            import { readFileSync } from "node:fs";
            import { createRequire } from "node:module";
            import { Tokenizer } from "@huggingface/tokenizers";
            const { Tokenizer: RustTokenizer } = createRequire(import.meta.url)("@anush008/tokenizers");
            const [tokenizerPath, configPath, textsPath] = process.argv.slice(2);
            const js = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, "utf8")), JSON.parse(readFileSync(configPath, "utf8")));
            const rust = RustTokenizer.fromFile(tokenizerPath);
            const texts = JSON.parse(readFileSync(textsPath, "utf8"));
            const rustIds = [];
            for (const t of texts) rustIds.push(Array.from((await rust.encode(t)).getIds()));
            process.stdout.write(JSON.stringify({ rust: rustIds, js: texts.map(t => js.encode(t).ids) }));
            """);
        string textsFile = Path.Combine(_dir, "texts.json");
        await File.WriteAllTextAsync(textsFile, JsonSerializer.Serialize(texts));
        string stdout = await NpmPackages.RunNodeAsync(script, [tokenizerJson, Path.Combine(_dir, "tokenizer_config.json"), textsFile], "SiglipTokenizerTests");
        using JsonDocument result = JsonDocument.Parse(stdout);
        int[][] Ids(string name) => result.RootElement.GetProperty(name).Deserialize<int[][]>()!;
        (int[][] rust, int[][] js) = (Ids("rust"), Ids("js"));
        Assert.Equal(texts.Count, rust.Length);
        Assert.Equal(texts.Count, js.Length);
        return (rust, js);
    }
}
