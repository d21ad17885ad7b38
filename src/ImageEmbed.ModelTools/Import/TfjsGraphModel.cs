using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ImageEmbed.ModelTools.Import;

/// <summary>How a TensorFlow.js graph model folder is laid out.</summary>
public enum TfjsModelForm
{
    /// <summary><c>model.json</c> plus binary shard files named by the weights manifest (what the TF.js converter writes).</summary>
    ModelJson,

    /// <summary>
    /// The same content wrapped in browserify JavaScript, as the nsfwjs npm package ships it:
    /// <c>model.min.js</c> holds the model as an object literal and each <c>&lt;shard&gt;.min.js</c>
    /// holds the shard's bytes as a base64 string.
    /// </summary>
    JsBundle,
}

/// <summary>
/// A TensorFlow.js graph model read from a folder: its nodes and its weights, dequantized. Nothing in
/// the files is executed. Immutable once loaded.
/// </summary>
public sealed partial class TfjsGraphModel
{
    private TfjsGraphModel(string modelFile, TfjsModelForm form, string? convertedBy, TfjsNode[] nodes, Dictionary<string, TfjsWeight> weights)
    {
        ModelFile = modelFile;
        Form = form;
        ConvertedBy = convertedBy;
        Nodes = nodes;
        Weights = weights;
    }

    /// <summary>Full path of the file the topology came from (<c>model.json</c> or <c>model.min.js</c>).</summary>
    public string ModelFile { get; }

    public TfjsModelForm Form { get; }

    /// <summary>The model's <c>convertedBy</c> field (the TF.js converter version), when present.</summary>
    public string? ConvertedBy { get; }

    /// <summary>The nodes in file order (which need not be topological).</summary>
    public IReadOnlyList<TfjsNode> Nodes { get; }

    /// <summary>Weights by name; a Const node's value is the weight with the node's name.</summary>
    public IReadOnlyDictionary<string, TfjsWeight> Weights { get; }

    /// <summary>
    /// Loads the model in <paramref name="folder"/>: <c>model.json</c> and its shards if present,
    /// otherwise the nsfwjs JavaScript form (<c>model.min.js</c> and <c>&lt;shard&gt;.min.js</c>).
    /// </summary>
    /// <exception cref="TfjsImportException">A file is missing or malformed; the message names it.</exception>
    public static TfjsGraphModel Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (!Directory.Exists(root)) throw new TfjsImportException($"{root}: the TensorFlow.js model folder does not exist.");

        string json = Path.Combine(root, "model.json");
        if (File.Exists(json)) return FromJson(root, json);
        foreach (string name in (ReadOnlySpan<string>)["model.min.js", "model.js"])
        {
            string js = Path.Combine(root, name);
            if (File.Exists(js)) return FromJsBundle(root, js);
        }
        throw new TfjsImportException($"{root}: no model.json (TensorFlow.js graph model) or model.min.js (nsfwjs bundle) in this folder.");
    }

    private static TfjsGraphModel FromJson(string root, string file)
    {
        JsonNode? document;
        try
        {
            using FileStream stream = File.OpenRead(file);
            document = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { MaxDepth = JsObjectReader.MaxDepth });
        }
        catch (JsonException e)
        {
            throw new TfjsImportException($"{file}: not valid JSON: {e.Message}", e);
        }
        return Build(root, file, TfjsModelForm.ModelJson, document, path => ReadBinaryShard(root, file, path));
    }

    private static TfjsGraphModel FromJsBundle(string root, string file)
    {
        string text = File.ReadAllText(file);
        // The browserify wrapper assigns the model object to the module's exports: `e.exports={format:...}`.
        Match match = ExportsObject().Match(text);
        if (!match.Success) throw new TfjsImportException($"{file}: no 'exports={{...}}' object literal found; is this a TensorFlow.js model bundle?");
        int position = match.Index + match.Length - 1; // at '{'
        JsonNode? document;
        try
        {
            document = JsObjectReader.Parse(text, ref position);
        }
        catch (FormatException e)
        {
            throw new TfjsImportException($"{file}: {e.Message}", e);
        }
        return Build(root, file, TfjsModelForm.JsBundle, document, path => ReadJsShard(root, file, path));
    }

    [GeneratedRegex(@"\bexports\s*=\s*\{", RegexOptions.CultureInvariant)]
    private static partial Regex ExportsObject();

    private static TfjsGraphModel Build(string root, string file, TfjsModelForm form, JsonNode? document, Func<string, byte[]> readShard)
    {
        if (document is not JsonObject model) throw new TfjsImportException($"{file}: the model is not an object.");
        string? format = TfjsNode.AsString(model["format"]);
        if (format is not null && format != "graph-model")
            throw new TfjsImportException($"{file}: format is '{format}'; only TensorFlow.js graph models ('graph-model') can be imported.");
        if (model["modelTopology"] is not JsonObject topology)
            throw new TfjsImportException($"{file}: 'modelTopology' is missing or not an object.");
        if (topology["node"] is not JsonArray nodeArray)
            throw new TfjsImportException($"{file}: 'modelTopology.node' is missing or not an array" +
                (topology["model_config"] is not null ? " (this looks like a layers model, which is not supported)." : "."));

        TfjsNode[] nodes = ReadNodes(file, nodeArray);
        Dictionary<string, TfjsWeight> weights = ReadWeights(file, model["weightsManifest"], readShard);

        foreach (TfjsNode node in nodes)
        {
            if (node.Op != "Const") continue;
            if (!weights.TryGetValue(node.Name, out TfjsWeight? weight))
                throw new TfjsImportException($"{file}: Const node '{node.Name}' has no weight of that name in the weights manifest.");
            if (node.GetConstShape() is { } declared && !declared.SequenceEqual(weight.Shape.Select(d => (long)d)))
                throw new TfjsImportException($"{file}: Const node '{node.Name}' declares shape [{string.Join(",", declared)}] but its weight has [{string.Join(",", weight.Shape)}].");
        }
        return new TfjsGraphModel(file, form, TfjsNode.AsString(model["convertedBy"]), nodes, weights);
    }

    private static TfjsNode[] ReadNodes(string file, JsonArray array)
    {
        var nodes = new TfjsNode[array.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < array.Count; k++)
        {
            if (array[k] is not JsonObject node) throw new TfjsImportException($"{file}: node #{k} is not an object.");
            string name = TfjsNode.AsString(node["name"]) ?? throw new TfjsImportException($"{file}: node #{k} has no name.");
            string op = TfjsNode.AsString(node["op"]) ?? throw new TfjsImportException($"{file}: node '{name}' has no op.");
            if (!names.Add(name)) throw new TfjsImportException($"{file}: two nodes are named '{name}'.");
            string[] inputs = [];
            if (node["input"] is JsonArray inputArray)
                inputs = inputArray.Select(i => TfjsNode.AsString(i) ?? throw new TfjsImportException($"{file}: node '{name}' has an input that is not a string.")).ToArray();
            else if (node["input"] is not null)
                throw new TfjsImportException($"{file}: node '{name}': 'input' is not an array.");
            JsonObject? attr = node["attr"] switch
            {
                null => null,
                JsonObject o => o,
                _ => throw new TfjsImportException($"{file}: node '{name}': 'attr' is not an object."),
            };
            nodes[k] = new TfjsNode(file, name, op, inputs, attr);
        }
        return nodes;
    }

    private static Dictionary<string, TfjsWeight> ReadWeights(string file, JsonNode? manifest, Func<string, byte[]> readShard)
    {
        var weights = new Dictionary<string, TfjsWeight>(StringComparer.Ordinal);
        if (manifest is null) return weights;
        if (manifest is not JsonArray groups) throw new TfjsImportException($"{file}: 'weightsManifest' is not an array.");
        for (int g = 0; g < groups.Count; g++)
        {
            if (groups[g] is not JsonObject group || group["paths"] is not JsonArray paths || group["weights"] is not JsonArray specs)
                throw new TfjsImportException($"{file}: weightsManifest[{g}] needs 'paths' and 'weights' arrays.");

            // A group's shards are one byte stream cut into files; its weights lie in it back to back.
            var shards = new List<byte[]>(paths.Count);
            foreach (JsonNode? path in paths)
                shards.Add(readShard(TfjsNode.AsString(path) ?? throw new TfjsImportException($"{file}: weightsManifest[{g}].paths holds a non-string.")));
            byte[] data = shards.Count == 1 ? shards[0] : Concat(shards);
            string shardNames = string.Join(", ", paths.Select(p => TfjsNode.AsString(p)));

            int offset = 0;
            foreach (JsonNode? specNode in specs)
            {
                WeightSpec spec = WeightSpec.Read(file, g, specNode);
                if (weights.ContainsKey(spec.Name)) throw new TfjsImportException($"{file}: weight '{spec.Name}' appears twice in the weights manifest.");
                long byteLength = spec.ByteLength;
                if (offset + byteLength > data.Length)
                    throw new TfjsImportException($"{file}: weight '{spec.Name}' needs bytes {offset}..{offset + byteLength} of weight group {g} ({shardNames}), which holds only {data.Length} bytes; a shard is truncated or does not belong to this model.");
                weights[spec.Name] = spec.Decode(data.AsSpan(offset, (int)byteLength));
                offset += (int)byteLength;
            }
        }
        return weights;
    }

    private static byte[] Concat(List<byte[]> shards)
    {
        byte[] data = new byte[shards.Sum(s => (long)s.Length)];
        int at = 0;
        foreach (byte[] shard in shards)
        {
            shard.CopyTo(data, at);
            at += shard.Length;
        }
        return data;
    }

    private static string ShardPath(string root, string file, string path, string suffix)
    {
        // Manifest paths are relative to the model; refuse any that would reach outside its folder.
        string full = Path.GetFullPath(Path.Combine(root, path + suffix));
        if (Path.IsPathRooted(path) || !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new TfjsImportException($"{file}: weight shard path '{path}' points outside the model folder.");
        return full;
    }

    private static byte[] ReadBinaryShard(string root, string file, string path)
    {
        string full = ShardPath(root, file, path, "");
        if (!File.Exists(full)) throw new TfjsImportException($"{full}: weight shard named in {Path.GetFileName(file)} is missing.");
        return File.ReadAllBytes(full);
    }

    private static byte[] ReadJsShard(string root, string file, string path)
    {
        string full = ShardPath(root, file, path, ".min.js");
        if (!File.Exists(full)) full = ShardPath(root, file, path, ".js");
        if (!File.Exists(full)) throw new TfjsImportException($"{ShardPath(root, file, path, ".min.js")}: weight shard named in {Path.GetFileName(file)} is missing.");

        byte[] bytes = File.ReadAllBytes(full);
        // The wrapper assigns the base64 text to the module's exports: `m.exports="..."`.
        ReadOnlySpan<byte> span = bytes;
        int start = -1;
        for (int from = 0; from < span.Length;)
        {
            int at = span[from..].IndexOf("exports="u8);
            if (at < 0) break;
            int quote = from + at + "exports="u8.Length;
            while (quote < span.Length && span[quote] is (byte)' ' or (byte)'\t') quote++;
            if (quote < span.Length && span[quote] is (byte)'"' or (byte)'\'')
            {
                start = quote;
                break;
            }
            from = quote;
        }
        if (start < 0) throw new TfjsImportException($"{full}: no 'exports=\"<base64>\"' string found; is this a TensorFlow.js weight shard bundle?");
        int end = span[(start + 1)..].IndexOf(span[start]);
        if (end < 0) throw new TfjsImportException($"{full}: the base64 string is not terminated.");
        ReadOnlySpan<byte> base64 = span.Slice(start + 1, end);

        byte[] decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        var status = Base64.DecodeFromUtf8(base64, decoded, out int consumed, out int written);
        if (status != System.Buffers.OperationStatus.Done)
            throw new TfjsImportException($"{full}: the weight data is not valid base64 (stopped at character {consumed}: {status}).");
        return written == decoded.Length ? decoded : decoded.AsSpan(0, written).ToArray();
    }

    /// <summary>One entry of a manifest's <c>weights</c> list.</summary>
    private sealed record WeightSpec(string Name, int[] Shape, TfjsDataType DataType, string? Quantization, double Min, double Scale)
    {
        public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

        public long ByteLength => ElementCount * (Quantization switch
        {
            "uint8" => 1,
            "uint16" or "float16" => 2,
            _ => DataType == TfjsDataType.Bool ? 1 : 4,
        });

        public static WeightSpec Read(string file, int group, JsonNode? node)
        {
            if (node is not JsonObject spec) throw new TfjsImportException($"{file}: weightsManifest[{group}].weights holds a non-object.");
            string name = TfjsNode.AsString(spec["name"]) ?? throw new TfjsImportException($"{file}: a weight in weightsManifest[{group}] has no name.");
            TfjsImportException Bad(string problem) => new($"{file}: weight '{name}': {problem}.");

            if (spec["shape"] is not JsonArray shapeArray) throw Bad("'shape' is missing or not an array");
            int[] shape = new int[shapeArray.Count];
            long count = 1;
            for (int k = 0; k < shape.Length; k++)
            {
                long? d = TfjsNode.AsInt64(shapeArray[k]);
                if (d is not (>= 0 and <= int.MaxValue)) throw Bad($"shape [{string.Join(",", shapeArray.Select(s => s?.ToJsonString()))}] is not a list of sizes");
                shape[k] = (int)d;
                count *= d.Value;
                if (count > int.MaxValue / 4) throw Bad("it is too large");
            }
            TfjsDataType type = TfjsNode.AsString(spec["dtype"]) switch
            {
                "float32" => TfjsDataType.Float32,
                "int32" => TfjsDataType.Int32,
                "bool" => TfjsDataType.Bool,
                string other => throw Bad($"dtype '{other}' is not supported (float32, int32, bool)"),
                null => throw Bad("'dtype' is missing"),
            };

            if (spec["quantization"] is null) return new WeightSpec(name, shape, type, null, 0, 0);
            if (spec["quantization"] is not JsonObject q) throw Bad("'quantization' is not an object");
            string? qtype = TfjsNode.AsString(q["dtype"]);
            if (qtype is "uint8" or "uint16")
            {
                double min = TfjsNode.AsDouble(q["min"]) ?? throw Bad($"{qtype} quantization needs 'min'");
                double scale = TfjsNode.AsDouble(q["scale"]) ?? throw Bad($"{qtype} quantization needs 'scale'");
                return new WeightSpec(name, shape, type, qtype, min, scale);
            }
            if (qtype == "float16" && type == TfjsDataType.Float32) return new WeightSpec(name, shape, type, qtype, 0, 0);
            throw Bad($"quantization dtype '{qtype}' is not supported for {type} (uint8, uint16, float16)");
        }

        public TfjsWeight Decode(ReadOnlySpan<byte> bytes)
        {
            int count = (int)ElementCount;
            if (DataType == TfjsDataType.Float32)
            {
                float[] values = new float[count];
                switch (Quantization)
                {
                    // TF.js dequantizes in double (JavaScript numbers) and stores float32; do the same so
                    // the weights match it bit for bit.
                    case "uint8":
                        for (int k = 0; k < count; k++) values[k] = (float)(bytes[k] * Scale + Min);
                        break;
                    case "uint16":
                        for (int k = 0; k < count; k++) values[k] = (float)(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * k)..]) * Scale + Min);
                        break;
                    case "float16":
                        for (int k = 0; k < count; k++) values[k] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * k)..]);
                        break;
                    default:
                        for (int k = 0; k < count; k++) values[k] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * k)..]);
                        break;
                }
                return new TfjsWeight(Name, Shape, DataType, values, default);
            }

            int[] ints = new int[count];
            if (DataType == TfjsDataType.Bool)
                for (int k = 0; k < count; k++) ints[k] = bytes[k] != 0 ? 1 : 0;
            else if (Quantization == "uint8")
                for (int k = 0; k < count; k++) ints[k] = RoundLikeJs(bytes[k] * Scale + Min);
            else if (Quantization == "uint16")
                for (int k = 0; k < count; k++) ints[k] = RoundLikeJs(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * k)..]) * Scale + Min);
            else
                MemoryMarshal.Cast<byte, int>(bytes).CopyTo(ints); // little-endian, as the writer requires too
            return new TfjsWeight(Name, Shape, DataType, default, ints);
        }

        // JavaScript's Math.round: halves go up, not to even.
        private static int RoundLikeJs(double value) => (int)Math.Floor(value + 0.5);
    }
}
