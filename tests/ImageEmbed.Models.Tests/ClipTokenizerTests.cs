using System.Text.Json;
using System.Text.Json.Nodes;
using ImageEmbed.Models.Tokenizers;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

public sealed class ClipTokenizerTests : IDisposable
{
    private const int ContextLength = 77;

    private static readonly string s_tokenizerDir = Path.Combine(TestPaths.Shared, "tokenizers", "clip-vit-b32");
    private static readonly Lazy<ClipTokenizer> s_tokenizer = new(() => ClipTokenizer.Load(s_tokenizerDir));
    private static readonly Lazy<ReferenceCase[]> s_cases = new(LoadReferenceCases);

    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ClipTokenizer Tokenizer => s_tokenizer.Value;

    public static TheoryData<int> ReferenceCaseIndexes()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < s_cases.Value.Length; i++) data.Add(i);
        return data;
    }

    [Fact]
    public void ReferenceFile_Loaded_Has105Cases()
    {
        Assert.Equal(105, s_cases.Value.Length);
    }

    [Theory]
    [MemberData(nameof(ReferenceCaseIndexes))]
    public void Encode_ReferenceCase_MatchesReferenceIds(int index)
    {
        ReferenceCase c = s_cases.Value[index];
        Assert.Equal(c.Ids, Tokenizer.Encode(c.Text));
    }

    [Theory]
    [MemberData(nameof(ReferenceCaseIndexes))]
    public void EncodeFixedLength_ReferenceCase_MatchesIds77AndMask(int index)
    {
        ReferenceCase c = s_cases.Value[index];
        var ids = new long[ContextLength];
        var mask = new long[ContextLength];

        int count = Tokenizer.Encode(c.Text, ContextLength, ids, mask);

        Assert.Equal(c.Ids77, ids);
        Assert.Equal(c.AttentionMask77, mask);
        Assert.Equal(Math.Min(c.Ids.Length, ContextLength), count);
        Assert.Equal(Tokenizer.EosId, ids[count - 1]);
    }

    // The table in shared/tokenizers/clip-vit-b32/README.md, from public test suites.
    [Theory]
    [InlineData("a photo of a cat", new[] { 49406, 320, 1125, 539, 320, 2368, 49407 })]
    [InlineData("a photo of a dog", new[] { 49406, 320, 1125, 539, 320, 1929, 49407 })]
    [InlineData("a painting of a cat", new[] { 49406, 320, 3086, 539, 320, 2368, 49407 })]
    [InlineData("bozuman", new[] { 49406, 647, 4091, 786, 49407 })]
    [InlineData("Hello, world!", new[] { 49406, 3306, 267, 1002, 256, 49407 })]
    [InlineData("", new[] { 49406, 49407 })]
    [InlineData("    \t\n", new[] { 49406, 49407 })]
    [InlineData("Special characters: !@#$%^&*()", new[] { 49406, 1689, 6564, 281, 0, 31, 2, 3, 4, 61, 5, 9, 8475, 49407 })]
    [InlineData("😀 😃 😄", new[] { 49406, 7334, 8520, 7624, 49407 })]
    [InlineData("你好世界", new[] { 49406, 47466, 254, 29290, 121, 19759, 244, 163, 243, 490, 49407 })]
    public void Encode_DocumentedCase_MatchesPublishedIds(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text));
    }

    // Edge cases of the recipe; the expected ids are what the Hugging Face tokenizers library
    // (Rust, 0.22) gives over the same tokenizer.json.
    [Theory]
    [InlineData("!\U0001D400", new[] { 49406, 256, 15889, 478, 49407 })]                     // a letter outside the BMP is a letter, not punctuation
    [InlineData("\U00020000abc", new[] { 49406, 172, 254, 222, 222, 5334, 49407 })]          // CJK extension B joins the letter run
    [InlineData("\U0001D7CF\U0001D7D0", new[] { 49406, 6874, 253, 493, 6874, 253, 494, 49407 })] // \p{N} pieces are one code point each
    [InlineData("\u0130stanbul", new[] { 49406, 328, 16384, 11231, 49407 })]                  // İ lower-cases to i + U+0307
    [InlineData("e\u0301\u0323", new[] { 49406, 157, 118, 373, 136, 479, 49407 })]             // NFC reorders marks, then composes
    [InlineData("\u212b", new[] { 49406, 127, 354, 49407 })]                                  // Ångström sign → Å → å
    [InlineData("\u1100\u1161\u11a8", new[] { 49406, 21122, 479, 49407 })]                    // conjoining jamo compose to 각
    [InlineData("a\ufeffb", new[] { 49406, 320, 171, 119, 379, 321, 49407 })]                 // U+FEFF is not whitespace
    [InlineData("\u3000x\u2028y\u0085z", new[] { 49406, 343, 344, 345, 49407 })]              // Unicode whitespace separates
    [InlineData("'S 'LL", new[] { 49406, 568, 1342, 49407 })]                                 // contractions match after lower-casing
    public void Encode_UnicodeEdgeCase_MatchesHuggingFaceTokenizers(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text));
    }

    // Decision: a literal <|endoftext|> in the text is the end-of-text token, as in openai/CLIP and
    // tokenizer.json (added token, matched before normalization). Other spellings are plain text.
    [Theory]
    [InlineData("<|endoftext|>", new[] { 49406, 49407, 49407 })]
    [InlineData("a<|endoftext|>b", new[] { 49406, 320, 49407, 321, 49407 })]
    [InlineData("hi <|startoftext|> there <|endoftext|>", new[] { 49406, 1883, 49406, 997, 49407, 49407 })]
    [InlineData("<|STARTOFTEXT|>x", new[] { 49406, 49406, 343, 49407 })]                     // normalized=true: matched after lower-casing
    [InlineData("<|ENDOFTEXT|>", new[] { 49406, 27, 347, 40786, 4160, 91, 285, 49407 })]     // normalized=false: upper case is just text
    [InlineData("<|endoftext", new[] { 49406, 27, 347, 40786, 4160, 49407 })]
    public void Encode_SpecialTokenLiteral_BecomesSpecialId(string text, int[] expected)
    {
        Assert.Equal(expected, Tokenizer.Encode(text));
    }

    [Theory]
    [InlineData("<|endoftext|> a cat")]
    [InlineData("hi <|startoftext|> there")]
    [InlineData("<|endoftext|>")]
    public void EncodeFixedLength_SpecialTokensAsText_AreThePlainCharacters(string text)
    {
        long[] ids = new long[77], mask = new long[77];
        int count = Tokenizer.Encode(text, 77, ids, mask, specialTokensAsText: true);
        int[] tokens = ids[..count].Select(i => (int)i).ToArray();
        // "<|ENDOFTEXT|>" is always plain text (endoftext is matched before lower-casing): the same ids.
        if (text.Contains("endoftext", StringComparison.Ordinal)) Assert.Equal(Tokenizer.Encode(text.ToUpperInvariant()), tokens);
        Assert.DoesNotContain(49406, tokens[1..]);
        Assert.DoesNotContain(49407, tokens[..^1]);
        // Without the flag the literal is the special token (the reference tokenizers' behaviour).
        Assert.NotEqual(tokens, Tokenizer.Encode(text));
    }

    [Fact]
    public void Properties_ClipFiles_ComeFromTheFile()
    {
        Assert.Equal(49406, Tokenizer.BosId);
        Assert.Equal(49407, Tokenizer.EosId);
        Assert.Equal(49407, Tokenizer.PadId);
        Assert.Equal(49408, Tokenizer.VocabularySize);
    }

    [Fact]
    public void Load_FolderOrFilePath_GiveTheSameTokenizer()
    {
        ClipTokenizer fromFile = ClipTokenizer.Load(Path.Combine(s_tokenizerDir, ClipTokenizer.FileName));

        Assert.Equal(Tokenizer.Encode("a photo of a cat"), fromFile.Encode("a photo of a cat"));
        Assert.Equal((Tokenizer.BosId, Tokenizer.EosId, Tokenizer.PadId, Tokenizer.VocabularySize),
            (fromFile.BosId, fromFile.EosId, fromFile.PadId, fromFile.VocabularySize));
    }

    [Fact]
    public void Load_MissingFileOrEmptyFolder_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load(Path.Combine(_dir, "nope.json")));
        var e = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load(_dir));
        Assert.Contains(ClipTokenizer.FileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InvalidJson_ThrowsNamingTheFile()
    {
        string file = Path.Combine(_dir, ClipTokenizer.FileName);
        File.WriteAllText(file, "{\"model\": {\"type\": \"BPE\", \"vocab\": {");

        var e = Assert.Throws<TokenizerException>(() => ClipTokenizer.Load(file));

        Assert.Equal(file, e.FilePath);
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("type", "\"WordPiece\"", "only BPE")]
    [InlineData("vocab", "[]", "model.vocab")]
    [InlineData("merges", "null", "model.merges")]
    [InlineData("merges", "[\"a\"]", "model.merges[0]")]
    [InlineData("merges", "[[\"a\", \"x\"]]", "not in model.vocab")]
    [InlineData("merges", "[\"b a\"]", "'ba', which is not in model.vocab")]
    [InlineData("unk_token", "\"<unk>\"", "unk_token '<unk>'")]
    [InlineData("dropout", "0.1", "dropout")]
    public void Load_BrokenModel_ThrowsSayingWhatIsWrong(string property, string json, string expected)
    {
        JsonObject root = TinyTokenizer();
        root["model"]![property] = JsonNode.Parse(json);
        string file = Write(root);

        var e = Assert.Throws<TokenizerException>(() => ClipTokenizer.Load(file));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OtherPreTokenizer_RefusesInsteadOfMisTokenizing()
    {
        JsonObject root = TinyTokenizer();
        root["pre_tokenizer"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""");

        var e = Assert.Throws<TokenizerException>(() => ClipTokenizer.Load(Write(root)));

        Assert.Contains("pre_tokenizer is not CLIP's", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_TinyTokenizer_MergesBothFormsAndTakesIdsFromTheFile()
    {
        JsonObject root = TinyTokenizer();
        root["model"]!["merges"] = JsonNode.Parse("""["a b</w>", ["a", "b"]]""");
        ClipTokenizer tokenizer = ClipTokenizer.Load(Write(root));

        Assert.Equal([5, 4, 6], tokenizer.Encode("AB"));         // a + b</w> → ab</w>
        Assert.Equal([5, 7, 3, 6], tokenizer.Encode("abb"));     // a + b → ab, then b</w>
        Assert.Equal((5, 6, 6, 8), (tokenizer.BosId, tokenizer.EosId, tokenizer.PadId, tokenizer.VocabularySize));
    }

    [Fact]
    public void Encode_SymbolNotInVocabulary_UsesUnkOrThrows()
    {
        JsonObject root = TinyTokenizer();
        string file = Write(root);
        var e = Assert.Throws<TokenizerException>(() => ClipTokenizer.Load(file).Encode("ac"));
        Assert.Contains("no unk_token", e.Message, StringComparison.Ordinal);

        root["model"]!["unk_token"] = "<|endoftext|>";
        Assert.Equal([5, 0, 6, 6], ClipTokenizer.Load(Write(root)).Encode("ac"));
    }

    [Fact]
    public void EncodeFixedLength_SpansTooShort_ThrowsArgumentException()
    {
        var ok = new long[ContextLength];
        var shortSpan = new long[ContextLength - 1];

        Assert.Throws<ArgumentException>("ids", () => Tokenizer.Encode("a cat", ContextLength, shortSpan, ok));
        Assert.Throws<ArgumentException>("attentionMask", () => Tokenizer.Encode("a cat", ContextLength, ok, shortSpan));
        Assert.Throws<ArgumentOutOfRangeException>("contextLength", () => Tokenizer.Encode("a cat", 1, ok, ok));
    }

    [Fact]
    public void EncodeFixedLength_LongText_KeepsStartFirstTokensAndEnd()
    {
        string text = string.Join(' ', Enumerable.Repeat("cat", 200));
        var ids = new long[10];
        var mask = new long[10];

        int count = Tokenizer.Encode(text, 8, ids, mask);

        Assert.Equal(8, count);
        Assert.Equal([49406, 2368, 2368, 2368, 2368, 2368, 2368, 49407, 0, 0], ids);   // beyond contextLength untouched
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], mask);
    }

    [Fact]
    public void Encode_ManyThreadsAtOnce_AllMatchTheReference()
    {
        // A fresh tokenizer, so the threads also race to fill its word cache.
        ClipTokenizer tokenizer = ClipTokenizer.Load(s_tokenizerDir);
        ReferenceCase[] cases = s_cases.Value;
        const int threads = 8, rounds = 20;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var start = new Barrier(threads);

        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int seed = t;
            workers[t] = new Thread(() =>
            {
                var ids = new long[ContextLength];
                var mask = new long[ContextLength];
                start.SignalAndWait();
                for (int r = 0; r < rounds; r++)
                {
                    for (int k = 0; k < cases.Length; k++)
                    {
                        ReferenceCase c = cases[(k * 7 + seed * 13 + r) % cases.Length];
                        if (!tokenizer.Encode(c.Text).AsSpan().SequenceEqual(c.Ids)) failures.Add($"ids: {c.Text}");
                        tokenizer.Encode(c.Text, ContextLength, ids, mask);
                        if (!ids.AsSpan().SequenceEqual(c.Ids77) || !mask.AsSpan().SequenceEqual(c.AttentionMask77)) failures.Add($"ids_77: {c.Text}");
                    }
                }
            });
            workers[t].Start();
        }
        foreach (Thread w in workers)
            Assert.True(w.Join(TimeSpan.FromSeconds(60)), "a worker did not finish within 60 s");

        Assert.Empty(failures);
    }

    [Fact]
    public void Encode_MoreDistinctWordsThanTheCacheHolds_StaysCorrect()
    {
        ClipTokenizer tokenizer = ClipTokenizer.Load(s_tokenizerDir);
        var words = new string[12_000];
        for (int i = 0; i < words.Length; i++) words[i] = ToLetters(i);
        foreach (string w in words) tokenizer.Encode(w);

        // Words past the cap are tokenized afresh each time; compare with a tokenizer that has cached them.
        ClipTokenizer fresh = ClipTokenizer.Load(s_tokenizerDir);
        for (int i = words.Length - 100; i < words.Length; i++)
            Assert.Equal(fresh.Encode(words[i]), tokenizer.Encode(words[i]));

        static string ToLetters(int n)
        {
            var chars = new List<char>();
            do { chars.Add((char)('a' + n % 26)); n /= 26; } while (n > 0);
            return new string([.. chars]) + "q";
        }
    }

    /// <summary>
    /// A tokenizer.json with CLIP's recipe over a seven-entry vocabulary: a=0 b=1 a&lt;/w&gt;=2 b&lt;/w&gt;=3
    /// ab&lt;/w&gt;=4 &lt;|startoftext|&gt;=5 &lt;|endoftext|&gt;=6 ab=7, merging a + b&lt;/w&gt;.
    /// </summary>
    private static JsonObject TinyTokenizer() => JsonNode.Parse($$"""
        {
          "version": "1.0",
          "added_tokens": [
            {"id": 5, "content": "<|startoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true},
            {"id": 6, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
          ],
          "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": {{JsonSerializer.Serialize(ClipTokenizer.ClipPattern)}}}, "behavior": "Removed", "invert": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]},
          "post_processor": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", 6], "cls": ["<|startoftext|>", 5], "trim_offsets": false, "add_prefix_space": false},
          "model": {
            "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "</w>",
            "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
            "vocab": {"a": 0, "b": 1, "a</w>": 2, "b</w>": 3, "ab</w>": 4, "<|startoftext|>": 5, "<|endoftext|>": 6, "ab": 7},
            "merges": [["a", "b</w>"]]
          }
        }
        """)!.AsObject();

    private string Write(JsonObject root)
    {
        string file = Path.Combine(_dir, $"tokenizer-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, root.ToJsonString());
        return file;
    }

    private static ReferenceCase[] LoadReferenceCases()
    {
        using FileStream stream = File.OpenRead(TestPaths.ReferenceFile("clip-vit-b32-tokenizer.json"));
        using JsonDocument document = JsonDocument.Parse(stream);
        var cases = new List<ReferenceCase>();
        foreach (JsonElement c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            cases.Add(new ReferenceCase(
                c.GetProperty("text").GetString()!,
                c.GetProperty("ids").Deserialize<int[]>()!,
                c.GetProperty("ids_77").Deserialize<long[]>()!,
                c.GetProperty("attention_mask_77").Deserialize<long[]>()!));
        }
        return [.. cases];
    }

    private sealed record ReferenceCase(string Text, int[] Ids, long[] Ids77, long[] AttentionMask77);
}
