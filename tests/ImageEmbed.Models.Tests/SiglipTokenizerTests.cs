using System.Diagnostics;
using System.Text.Json;
using ImageEmbed.Models.Tokenizers;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// SigLIP's tokenizer (Microsoft.ML.Tokenizers' SentencePiece Unigram plus SigLIP's canonicalization) against an
/// independent tokenization of the same files: Hugging Face's tokenizers.js (the tokenizer transformers.js runs),
/// in Node, over a SigLIP-shaped <c>tokenizer.json</c> the tests build (the real one cannot be fetched here).
/// </summary>
public sealed class SiglipTokenizerTests(ITestOutputHelper output) : IDisposable
{
    private const string TokenizersJs = "@huggingface/tokenizers@0.2.0";
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-siglip-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteTokenizer(bool withConfig = true)
    {
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), SyntheticSiglip.TokenizerJson());
        if (withConfig) File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), SyntheticSiglip.TokenizerConfigJson);
        return Path.Combine(_dir, "tokenizer.json");
    }

    [Fact]
    public async Task Encode_ParityTexts_SameIdsAsTokenizersJs()
    {
        string file = WriteTokenizer();
        IReadOnlyList<string> texts = SyntheticSiglip.ParityTexts();
        Assert.True(texts.Count >= 100, $"{texts.Count} texts");
        SiglipTokenizer tokenizer = SiglipTokenizer.Load(file);

        int[][] reference = await TokenizersJsAsync(file, texts);

        var mismatches = new List<string>();
        int tokens = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            int[] ours = tokenizer.Encode(texts[i]);
            tokens += ours.Length;
            if (!ours.SequenceEqual(reference[i]))
                mismatches.Add($"{JsonSerializer.Serialize(texts[i])}: ours [{string.Join(",", ours)}], tokenizers.js [{string.Join(",", reference[i])}]");
        }
        output.WriteLine($"{texts.Count} texts, {tokens} tokens: {texts.Count - mismatches.Count} identical to tokenizers.js");
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
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
    public void Canonicalize_AsSiglipReference(string text, string expected)
    {
        Assert.Equal(expected, SiglipTokenizer.Canonicalize(text));
    }

    /// <summary>Ids from tokenizers.js for each text, with the file's post-processor (the end token) applied.</summary>
    private async Task<int[][]> TokenizersJsAsync(string tokenizerJson, IReadOnlyList<string> texts)
    {
        string packages = await NpmPackages.InstallAsync("tokenizers-js", [TokenizersJs], "SiglipTokenizerTests compare with tokenizers.js and");
        string node = NpmPackages.FindOnPath("node") ?? throw new InvalidOperationException("SiglipTokenizerTests need 'node' on PATH (apt-get install nodejs; .ci/run does).");
        string script = Path.Combine(packages, "siglip-parity.mjs");
        await File.WriteAllTextAsync(script, """
            import { readFileSync } from "node:fs";
            import { Tokenizer } from "@huggingface/tokenizers";
            const [tokenizerPath, configPath, textsPath] = process.argv.slice(2);
            const tokenizer = new Tokenizer(JSON.parse(readFileSync(tokenizerPath, "utf8")), JSON.parse(readFileSync(configPath, "utf8")));
            const texts = JSON.parse(readFileSync(textsPath, "utf8"));
            process.stdout.write(JSON.stringify(texts.map(t => tokenizer.encode(t).ids)));
            """);
        string textsFile = Path.Combine(_dir, "texts.json");
        await File.WriteAllTextAsync(textsFile, JsonSerializer.Serialize(texts));
        var start = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = packages };
        foreach (string arg in new[] { script, tokenizerJson, Path.Combine(_dir, "tokenizer_config.json"), textsFile }) start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().DefaultTimeout();
        Assert.True(process.ExitCode == 0, $"node exited {process.ExitCode}: {await stderr}");
        int[][] ids = JsonSerializer.Deserialize<int[][]>(await stdout)!;
        Assert.Equal(texts.Count, ids.Length);
        return ids;
    }
}
