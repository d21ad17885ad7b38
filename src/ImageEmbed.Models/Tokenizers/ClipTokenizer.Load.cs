using System.Text.Json;

namespace ImageEmbed.Models.Tokenizers;

public sealed partial class ClipTokenizer
{
    private const string StartOfText = "<|startoftext|>";
    private const string EndOfText = "<|endoftext|>";

    /// <summary>GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves, the rest move to U+0100 and up.</summary>
    private static readonly char[] s_byteToChar = BuildByteToChar();

    private ClipTokenizer(string path, JsonElement root)
    {
        _path = path;
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (root.ValueKind != JsonValueKind.Object) throw Bad("the top level is not a JSON object.");

        CheckRecipe(root);
        JsonElement model = RequireObject(root, "model", "model");
        if (model.TryGetProperty("type", out JsonElement type) && type.ValueKind != JsonValueKind.Null && type.GetString() != "BPE")
            throw Bad($"model.type is '{type}'; only BPE models are supported.");
        if (model.TryGetProperty("dropout", out JsonElement dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() != 0)
            throw Bad($"model.dropout is {dropout}; BPE dropout makes encoding random and is not supported.");
        if (OptionalString(model, "continuing_subword_prefix", "model.continuing_subword_prefix") is { Length: > 0 } prefix)
            throw Bad($"model.continuing_subword_prefix is '{prefix}'; only an empty prefix is supported.");
        if (OptionalBool(model, "byte_fallback", "model.byte_fallback"))
            throw Bad("model.byte_fallback is true; it is not supported (byte-level BPE has a symbol for every byte).");
        if (OptionalBool(model, "ignore_merges", "model.ignore_merges"))
            throw Bad("model.ignore_merges is true; it is not supported.");
        _fuseUnk = OptionalBool(model, "fuse_unk", "model.fuse_unk");
        string suffix = OptionalString(model, "end_of_word_suffix", "model.end_of_word_suffix") ?? "";

        Dictionary<string, int> vocab = ReadVocab(RequireObject(model, "vocab", "model.vocab"));
        _merges = ReadMerges(model, vocab);
        List<AddedToken> raw = [], normalized = [];
        Dictionary<string, int> addedIds = ReadAddedTokens(root, raw, normalized);
        _rawAddedTokens = [.. raw];
        _normalizedAddedTokens = [.. normalized];

        int maxId = -1;
        foreach (int id in vocab.Values) maxId = Math.Max(maxId, id);
        foreach (int id in addedIds.Values) maxId = Math.Max(maxId, id);
        VocabularySize = maxId + 1;

        _byteIds = new int[256];
        _byteEndIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            string symbol = s_byteToChar[b].ToString();
            _byteIds[b] = vocab.GetValueOrDefault(symbol, -1);
            _byteEndIds[b] = vocab.GetValueOrDefault(symbol + suffix, -1);
        }

        _unkId = -1;
        if (OptionalString(model, "unk_token", "model.unk_token") is string unk)
            _unkId = vocab.TryGetValue(unk, out int unkId) ? unkId : throw Bad($"model.unk_token '{unk}' is not in model.vocab.");

        (BosId, EosId) = ReadBosEos(root, vocab, addedIds);
        PadId = ReadPadId(root, vocab, addedIds) ?? EosId;
    }

    /// <summary>Reads a Hugging Face <c>tokenizer.json</c> describing CLIP's byte-level BPE.</summary>
    /// <param name="path">The <c>tokenizer.json</c> file, or a folder that holds one.</param>
    /// <remarks>
    /// Ids come from the file: start and end tokens from the post-processor (else the added tokens
    /// <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c>), padding from the file's <c>padding</c>
    /// or, beside it, <c>tokenizer_config.json</c>'s <c>pad_token</c>, else the end token.
    /// </remarks>
    /// <exception cref="FileNotFoundException">There is no such file, or the folder holds no <c>tokenizer.json</c>.</exception>
    /// <exception cref="TokenizerException">
    /// The file is not valid JSON, lacks a part the recipe needs, or describes another tokenizer
    /// (not BPE, or a normalizer or pre-tokenizer other than CLIP's).
    /// </exception>
    public static ClipTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
        {
            throw new FileNotFoundException(Directory.Exists(path)
                ? $"The folder '{path}' holds no {FileName}."
                : $"Tokenizer file '{path}' does not exist.", file);
        }
        file = Path.GetFullPath(file);

        JsonDocument document;
        try
        {
            using FileStream stream = File.OpenRead(file);
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new TokenizerException(file, $"not valid JSON ({e.Message})", e);
        }
        using (document)
            return new ClipTokenizer(file, document.RootElement);
    }

    /// <summary>
    /// This class implements one recipe; a tokenizer.json with another normalizer or pre-tokenizer
    /// (GPT-2's, say) would load and then give wrong ids silently, so it is refused instead.
    /// </summary>
    private void CheckRecipe(JsonElement root)
    {
        List<JsonElement> normalizers = Flatten(root, "normalizer", "normalizers");
        if (!HasType(normalizers, "NFC") || !HasType(normalizers, "Lowercase"))
            throw Bad($"the normalizer is not CLIP's (NFC, whitespace runs to one space, lowercase): types {DescribeTypes(normalizers)}.");

        List<JsonElement> preTokenizers = Flatten(root, "pre_tokenizer", "pretokenizers");
        bool clipSplit = false;
        foreach (JsonElement p in preTokenizers)
        {
            clipSplit |= TypeOf(p) == "Split"
                && p.TryGetProperty("pattern", out JsonElement pattern) && pattern.ValueKind == JsonValueKind.Object
                && pattern.TryGetProperty("Regex", out JsonElement regex) && regex.ValueKind == JsonValueKind.String
                && regex.GetString() == ClipPattern;
        }
        if (!clipSplit || !HasType(preTokenizers, "ByteLevel"))
            throw Bad($"the pre_tokenizer is not CLIP's (a Split on {ClipPattern} then ByteLevel): types {DescribeTypes(preTokenizers)}.");
    }

    private static List<JsonElement> Flatten(JsonElement root, string name, string sequenceMember)
    {
        List<JsonElement> items = [];
        if (root.TryGetProperty(name, out JsonElement node)) Add(node);
        return items;

        void Add(JsonElement element)
        {
            if (element.ValueKind != JsonValueKind.Object) return;
            if (TypeOf(element) == "Sequence" && element.TryGetProperty(sequenceMember, out JsonElement children) && children.ValueKind == JsonValueKind.Array)
                foreach (JsonElement child in children.EnumerateArray()) Add(child);
            else
                items.Add(element);
        }
    }

    private static string? TypeOf(JsonElement element) =>
        element.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;

    private static bool HasType(List<JsonElement> elements, string type)
    {
        foreach (JsonElement e in elements)
            if (TypeOf(e) == type) return true;
        return false;
    }

    private static string DescribeTypes(List<JsonElement> elements)
    {
        if (elements.Count == 0) return "none";
        var types = new string[elements.Count];
        for (int i = 0; i < types.Length; i++) types[i] = TypeOf(elements[i]) ?? "?";
        return string.Join(", ", types);
    }

    private Dictionary<string, int> ReadVocab(JsonElement vocabElement)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw Bad($"model.vocab['{entry.Name}'] is {entry.Value}; ids must be non-negative integers.");
            vocab[entry.Name] = id;
        }
        if (vocab.Count == 0) throw Bad("model.vocab is empty.");
        return vocab;
    }

    private Dictionary<long, Merge> ReadMerges(JsonElement model, Dictionary<string, int> vocab)
    {
        if (!model.TryGetProperty("merges", out JsonElement merges) || merges.ValueKind != JsonValueKind.Array)
            throw Bad("model.merges is missing or not an array.");

        var result = new Dictionary<long, Merge>(merges.GetArrayLength());
        int rank = 0;
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            // Older files write "a b", newer ones ["a", "b"]; byte-level symbols never hold a space.
            string? left = null, right = null;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                int space = text.IndexOf(' ', StringComparison.Ordinal);
                if (space > 0 && space < text.Length - 1 && text.IndexOf(' ', space + 1) < 0)
                {
                    left = text[..space];
                    right = text[(space + 1)..];
                }
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                left = merge[0].GetString();
                right = merge[1].GetString();
            }
            if (string.IsNullOrEmpty(left) || string.IsNullOrEmpty(right))
                throw Bad($"model.merges[{rank}] is {merge.GetRawText()}; expected \"a b\" or [\"a\", \"b\"].");

            if (!vocab.TryGetValue(left, out int leftId) || !vocab.TryGetValue(right, out int rightId))
                throw Bad($"model.merges[{rank}] ({left} {right}) uses a symbol that is not in model.vocab.");
            if (!vocab.TryGetValue(left + right, out int mergedId))
                throw Bad($"model.merges[{rank}] ({left} {right}) makes '{left + right}', which is not in model.vocab.");
            // A repeated pair takes its later rank, as the Hugging Face map built from the list does.
            result[PairKey(leftId, rightId)] = new Merge(rank, mergedId);
            rank++;
        }
        return result;
    }

    /// <summary>Fills the two lists by where the token is matched and returns every added token's id by content.</summary>
    private Dictionary<string, int> ReadAddedTokens(JsonElement root, List<AddedToken> raw, List<AddedToken> normalized)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("added_tokens", out JsonElement added) || added.ValueKind == JsonValueKind.Null) return ids;
        if (added.ValueKind != JsonValueKind.Array) throw Bad("added_tokens is not an array.");

        int index = 0;
        foreach (JsonElement token in added.EnumerateArray())
        {
            string where = $"added_tokens[{index++}]";
            if (token.ValueKind != JsonValueKind.Object) throw Bad($"{where} is not an object.");
            if (!token.TryGetProperty("id", out JsonElement idElement) || !idElement.TryGetInt32(out int id) || id < 0)
                throw Bad($"{where} has no non-negative integer id.");
            string content = OptionalString(token, "content", $"{where}.content") is { Length: > 0 } c
                ? c : throw Bad($"{where} has no content.");
            if (OptionalBool(token, "single_word", $"{where}.single_word"))
                throw Bad($"{where} ('{content}') sets single_word, which is not supported.");

            bool special = OptionalBool(token, "special", $"{where}.special");
            // The Hugging Face default: special tokens are matched in the raw text, others after normalization.
            bool isNormalized = token.TryGetProperty("normalized", out JsonElement n) && n.ValueKind != JsonValueKind.Null
                ? OptionalBool(token, "normalized", $"{where}.normalized")
                : !special;
            var entry = new AddedToken(content, id, OptionalBool(token, "lstrip", $"{where}.lstrip"), OptionalBool(token, "rstrip", $"{where}.rstrip"));
            (isNormalized ? normalized : raw).Add(entry);
            ids[content] = id;
        }
        return ids;
    }

    private (int Bos, int Eos) ReadBosEos(JsonElement root, Dictionary<string, int> vocab, Dictionary<string, int> addedIds)
    {
        if (root.TryGetProperty("post_processor", out JsonElement post) && post.ValueKind == JsonValueKind.Object)
        {
            string? type = TypeOf(post);
            if (type is "RobertaProcessing" or "BertProcessing")
            {
                // "cls": ["<|startoftext|>", 49406], "sep": ["<|endoftext|>", 49407]
                return (PairId(post, "cls"), PairId(post, "sep"));
            }
            if (type == "TemplateProcessing" && post.TryGetProperty("single", out JsonElement single)
                && single.ValueKind == JsonValueKind.Array && single.GetArrayLength() >= 2)
            {
                int? bos = TemplateSpecialId(post, single[0]);
                int? eos = TemplateSpecialId(post, single[single.GetArrayLength() - 1]);
                if (bos is int b && eos is int e) return (b, e);
            }
        }
        int? start = LookUp(StartOfText, vocab, addedIds), end = LookUp(EndOfText, vocab, addedIds);
        if (start is int s && end is int t) return (s, t);
        throw Bad($"no start and end tokens: the post_processor names none and {StartOfText} / {EndOfText} are not in the vocabulary.");
    }

    private int PairId(JsonElement post, string name)
    {
        if (post.TryGetProperty(name, out JsonElement pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
            && pair[1].TryGetInt32(out int id) && id >= 0)
            return id;
        throw Bad($"post_processor.{name} is not a [token, id] pair.");
    }

    private static int? TemplateSpecialId(JsonElement post, JsonElement piece)
    {
        if (!piece.TryGetProperty("SpecialToken", out JsonElement special) || !special.TryGetProperty("id", out JsonElement name)
            || name.ValueKind != JsonValueKind.String || !post.TryGetProperty("special_tokens", out JsonElement tokens)
            || !tokens.TryGetProperty(name.GetString()!, out JsonElement token) || !token.TryGetProperty("ids", out JsonElement ids)
            || ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() != 1 || !ids[0].TryGetInt32(out int id))
            return null;
        return id;
    }

    private int? ReadPadId(JsonElement root, Dictionary<string, int> vocab, Dictionary<string, int> addedIds)
    {
        if (root.TryGetProperty("padding", out JsonElement padding) && padding.ValueKind == JsonValueKind.Object)
        {
            if (padding.TryGetProperty("pad_id", out JsonElement padId) && padId.ValueKind == JsonValueKind.Number)
                return padId.TryGetInt32(out int id) && id >= 0 ? id : throw Bad($"padding.pad_id is {padId}.");
            if (OptionalString(padding, "pad_token", "padding.pad_token") is string padToken)
                return LookUp(padToken, vocab, addedIds) ?? throw Bad($"padding.pad_token '{padToken}' is not in the vocabulary.");
        }

        // tokenizer.json has "padding": null for CLIP; Transformers keeps the pad token beside it.
        if (TokenizerConfig.PadToken(_path) is not string content) return null;
        return LookUp(content, vocab, addedIds)
            ?? throw new TokenizerException(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_path))!, TokenizerConfig.FileName), $"pad_token '{content}' is not in the vocabulary of {_path}.");
    }

    private static int? LookUp(string token, Dictionary<string, int> vocab, Dictionary<string, int> addedIds) =>
        addedIds.TryGetValue(token, out int id) || vocab.TryGetValue(token, out id) ? id : null;

    private JsonElement RequireObject(JsonElement parent, string name, string where) =>
        parent.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw Bad($"{where} is missing or not an object.");

    private string? OptionalString(JsonElement parent, string name, string where)
    {
        if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Bad($"{where} is {value.ValueKind}, not a string.");
    }

    private bool OptionalBool(JsonElement parent, string name, string where)
    {
        if (!parent.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null) return false;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad($"{where} is {value.ValueKind}, not true or false."),
        };
    }

    private TokenizerException Bad(string problem) => new(_path, problem);

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + shifted++);
        }
        return map;
    }
}
