using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Tests;
using Xunit.Abstractions;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// The TF.js importer against the MobileNetV2 graph model shipped in the npm package nsfwjs@4.3.0
/// (a test fixture fetched by scripts/fetch-nsfwjs.sh) and against <c>../shared/models/mobilenet-v2-140/model.onnx</c>,
/// the same model converted by an independent tool.
/// </summary>
public sealed class TfjsImportTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] BothOutputs = ["embedding", "probs"];
    private readonly string _temp = Directory.CreateTempSubdirectory("imageembed-tfjs-").FullName;

    /// <summary>The nsfwjs bundle (model.min.js + group1-shard*of2.min.js), fetched on first use.</summary>
    private static string NsfwjsModel => NsfwjsFixture.Folder;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Convert_NsfwjsBundle_MatchesReferenceOnnxOnEveryDevImage()
    {
        string onnx = Path.Combine(_temp, "out", "model.onnx");
        var watch = Stopwatch.StartNew();
        TfjsToOnnxConverter.Convert(NsfwjsModel, onnx);
        watch.Stop();
        output.WriteLine($"converted in {watch.ElapsedMilliseconds} ms: {new FileInfo(onnx).Length:N0} bytes (reference {new FileInfo(TestPaths.MobileNetOnnx).Length:N0})");
        Assert.Equal(["model.onnx"], Directory.GetFileSystemEntries(Path.GetDirectoryName(onnx)!).Select(Path.GetFileName));

        using var converted = new OrtSession(onnx);
        using var reference = new OrtSession(TestPaths.MobileNetOnnx);
        Assert.Equal(reference.Inputs.Select(i => i.ToString()), converted.Inputs.Select(i => i.ToString()));
        Assert.Equal(reference.Outputs.Select(o => o.ToString()), converted.Outputs.Select(o => o.ToString()));

        ImagePreprocessing recipe = ModelCatalog.MobileNetV2_140.Image.Preprocessing;
        var preprocessor = new ImagePreprocessor(new ImageDecoder(new ImagingOptions()));
        string[] files = TestPaths.DevFiles();
        const int batch = 10;
        double minCosine = 1, maxProbsDiff = 0;
        string worstCosine = "", worstProbs = "";
        for (int start = 0; start < files.Length; start += batch)
        {
            int count = Math.Min(batch, files.Length - start);
            float[] input = new float[count * recipe.TensorLength];
            for (int i = 0; i < count; i++)
            {
                using PreprocessedImage image = preprocessor.Preprocess(File.ReadAllBytes(files[start + i]), recipe);
                image.Tensor.CopyTo(input.AsSpan(i * recipe.TensorLength));
            }
            OrtInput[] inputs = [OrtInput.Float("input", input, count, 224, 224, 3)];
            using OrtOutputs actual = converted.Run(inputs, BothOutputs);
            using OrtOutputs expected = reference.Run(inputs, BothOutputs);
            ReadOnlySpan<float> embedding = actual["embedding"].AsFloats(), expectedEmbedding = expected["embedding"].AsFloats();
            ReadOnlySpan<float> probs = actual["probs"].AsFloats(), expectedProbs = expected["probs"].AsFloats();
            for (int i = 0; i < count; i++)
            {
                float[] a = embedding.Slice(i * 1792, 1792).ToArray(), b = expectedEmbedding.Slice(i * 1792, 1792).ToArray();
                VectorMath.Normalize(a);
                VectorMath.Normalize(b);
                double cosine = VectorMath.Cosine(a, b);
                if (cosine < minCosine) (minCosine, worstCosine) = (cosine, Path.GetFileName(files[start + i]));
                for (int k = 0; k < 5; k++)
                {
                    double diff = Math.Abs(probs[i * 5 + k] - expectedProbs[i * 5 + k]);
                    if (diff > maxProbsDiff) (maxProbsDiff, worstProbs) = (diff, Path.GetFileName(files[start + i]));
                }
            }
        }

        output.WriteLine($"{files.Length} dev images: min embedding cosine {minCosine:F7} ({worstCosine}), max |probs diff| {maxProbsDiff:E2} ({worstProbs})");
        Assert.Equal(100, files.Length);
        // Not bit-exact: the importer dequantizes as TF.js does (double math, rounded to float32), the
        // reference tool in float32, so weights differ by about one ulp. The graphs themselves match:
        // dequantizing in float32 gives identical outputs.
        Assert.True(minCosine >= 0.9999, $"min cosine {minCosine:F7} ({worstCosine}) < 0.9999");
        Assert.True(maxProbsDiff <= 1e-4, $"max |probs diff| {maxProbsDiff:E2} ({worstProbs}) > 1e-4");
    }

    [Fact]
    public void Convert_ModelJsonFolder_GivesTheSameOutputsAsTheBundle()
    {
        string folder = WriteModelJsonFolder("standard");
        string fromJson = Path.Combine(_temp, "json.onnx"), fromBundle = Path.Combine(_temp, "bundle.onnx");
        TfjsToOnnxConverter.Convert(folder, fromJson);
        TfjsToOnnxConverter.Convert(NsfwjsModel, fromBundle);

        float[] input = new float[2 * 224 * 224 * 3];
        var random = new Random(7);
        for (int i = 0; i < input.Length; i++) input[i] = random.NextSingle();
        using var json = new OrtSession(fromJson);
        using var bundle = new OrtSession(fromBundle);
        OrtInput[] inputs = [OrtInput.Float("input", input, 2, 224, 224, 3)];
        using OrtOutputs a = json.Run(inputs, BothOutputs);
        using OrtOutputs b = bundle.Run(inputs, BothOutputs);

        Assert.Equal([2L, 1792], a["embedding"].Shape);
        Assert.True(a["embedding"].AsFloats().SequenceEqual(b["embedding"].AsFloats())); // same weights, same graph: exact
        Assert.True(a["probs"].AsFloats().SequenceEqual(b["probs"].AsFloats()));
    }

    [Fact]
    public void Convert_UnknownOp_ThrowsNamingOpAndNodeAndWritesNothing()
    {
        string renamed = "";
        string folder = WriteModelJsonFolder("unknown-op", model =>
        {
            JsonObject node = model["modelTopology"]!["node"]!.AsArray().Select(n => n!.AsObject()).First(n => (string?)n["op"] == "AddV2");
            node["op"] = "FancyAdd";
            renamed = (string)node["name"]!;
        });
        string outDir = Path.Combine(_temp, "out");
        Directory.CreateDirectory(outDir);

        var e = Assert.Throws<TfjsImportException>(() => TfjsToOnnxConverter.Convert(folder, Path.Combine(outDir, "model.onnx")));

        output.WriteLine(e.Message);
        Assert.Contains("'FancyAdd'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{renamed}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.json", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
    }

    [Theory]
    [InlineData("{\"modelTopology\": {\"node\": [", "not valid JSON")]
    [InlineData("[1, 2, 3]", "not an object")]
    [InlineData("{\"format\": \"graph-model\"}", "'modelTopology' is missing")]
    [InlineData("{\"format\": \"layers-model\", \"modelTopology\": {}}", "only TensorFlow.js graph models")]
    [InlineData("{\"modelTopology\": {\"node\": [{\"name\": \"w\", \"op\": \"Const\"}]}}", "Const node 'w' has no weight")]
    [InlineData("{\"modelTopology\": {\"node\": []}, \"weightsManifest\": [{\"paths\": [\"missing.bin\"], \"weights\": []}]}", "missing.bin")]
    [InlineData("{\"modelTopology\": {\"node\": []}, \"weightsManifest\": [{\"paths\": [\"../escape.bin\"], \"weights\": []}]}", "outside the model folder")]
    [InlineData("{\"modelTopology\": {\"node\": []}, \"weightsManifest\": [{\"paths\": [], \"weights\": [{\"name\": \"w\", \"shape\": [2], \"dtype\": \"float32\"}]}]}", "weight 'w' needs bytes 0..8")]
    [InlineData("{\"modelTopology\": {\"node\": []}}", "0 Placeholder inputs")]
    public void Convert_MalformedModelJson_ThrowsNamingFileAndProblemAndWritesNothing(string json, string problem)
    {
        string folder = Path.Combine(_temp, "bad");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model.json"), json);
        string outDir = Path.Combine(_temp, "out");
        Directory.CreateDirectory(outDir);

        var e = Assert.Throws<TfjsImportException>(() => TfjsToOnnxConverter.Convert(folder, Path.Combine(outDir, "model.onnx")));

        output.WriteLine(e.Message);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Contains(folder, e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
    }

    [Theory]
    [InlineData("module.exports=42", "no 'exports={...}' object literal")]
    [InlineData("!function(){e.exports={format:\"graph-model\",modelTopology:{node:[{name:x}]}}}()", "'x' is an expression, not a literal at offset")]
    [InlineData("e.exports={format:\"graph-model\",modelTopology:{node:[]},weightsManifest:[{paths:[\"shard\"],weights:[]}]}", "shard.min.js: weight shard named in model.min.js is missing")]
    public void Convert_MalformedJsBundle_ThrowsNamingFileAndProblem(string js, string problem)
    {
        string folder = Path.Combine(_temp, "bundle");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "model.min.js"), js);

        var e = Assert.Throws<TfjsImportException>(() => TfjsToOnnxConverter.Convert(folder, Path.Combine(_temp, "model.onnx")));

        output.WriteLine(e.Message);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Contains(folder, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_temp, "model.onnx")));
    }

    [Fact]
    public void Convert_TruncatedShard_ThrowsNamingWeightAndShard()
    {
        string folder = WriteModelJsonFolder("truncated");
        string shard = Path.Combine(folder, "group1-shard2of2");
        byte[] bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..^100]);

        var e = Assert.Throws<TfjsImportException>(() => TfjsToOnnxConverter.Convert(folder, Path.Combine(_temp, "model.onnx")));

        output.WriteLine(e.Message);
        Assert.Contains("group1-shard2of2", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_temp, "model.onnx")));
    }

    [Fact]
    public void Convert_FailsOverExistingFile_LeavesItUntouched()
    {
        string folder = WriteModelJsonFolder("unsupported-padding", model =>
        {
            JsonObject conv = model["modelTopology"]!["node"]!.AsArray().Select(n => n!.AsObject()).First(n => (string?)n["op"] == "_FusedConv2D");
            conv["attr"]!["padding"] = new JsonObject { ["s"] = Convert.ToBase64String("REFLECT"u8) };
        });
        string onnx = Path.Combine(_temp, "out", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(onnx)!);
        File.WriteAllText(onnx, "previous model");

        var e = Assert.Throws<TfjsImportException>(() => TfjsToOnnxConverter.Convert(folder, onnx));

        Assert.Contains("padding 'REFLECT'", e.Message, StringComparison.Ordinal);
        Assert.Equal("previous model", File.ReadAllText(onnx));
        Assert.Equal(["model.onnx"], Directory.GetFileSystemEntries(Path.GetDirectoryName(onnx)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_NsfwjsBundle_DequantizesEveryWeight()
    {
        TfjsGraphModel model = TfjsGraphModel.Load(NsfwjsModel + Path.DirectorySeparatorChar);

        Assert.Equal(TfjsModelForm.JsBundle, model.Form);
        Assert.Equal(108, model.Weights.Count);
        Assert.Equal(108, model.Nodes.Count(n => n.Op == "Const"));
        TfjsWeight first = model.Weights.Values.First(w => w.Name.EndsWith("MobilenetV2/Conv/Conv2D_weights", StringComparison.Ordinal));
        Assert.Equal(new[] { 3, 3, 3, 48 }, first.Shape);
        // uint8 quantization with min -6.25..., scale 0.0434...: every value lies on that grid.
        Assert.All(first.Floats.ToArray(), v => Assert.InRange(v, -6.26f, -6.25f + 255 * 0.0435f));
        TfjsWeight mul = model.Weights.Values.Single(w => w.Name.EndsWith("hub_input/Mul/y", StringComparison.Ordinal));
        Assert.Equal(2f, mul.Floats.Span[0]); // min 2, scale 1, q 0: the graph's own ×2 of the [-1, 1] rescale
    }

    [Fact]
    public void JsObjectReader_MinifiedLiteral_ReadsEveryForm()
    {
        const string text = "x={a:.5,b:!0,c:!1,'d':\"q\\\"\\u0041\\x42\",e:[1,-2e3,],f:null,\"g h\":{i:'it\\'s'},$j:true,k:-.25e1,/* c */l:NaN} tail";
        int position = text.IndexOf('{', StringComparison.Ordinal);

        JsonObject o = JsObjectReader.Parse(text, ref position)!.AsObject();

        Assert.Equal(" tail", text[position..]);
        Assert.Equal(0.5, (double)o["a"]!);
        Assert.True((bool)o["b"]!);
        Assert.False((bool)o["c"]!);
        Assert.Equal("q\"AB", (string)o["d"]!);
        Assert.Equal([1.0, -2000.0], o["e"]!.AsArray().Select(v => (double)v!));
        Assert.True(o.ContainsKey("f") && o["f"] is null);
        Assert.Equal("it's", (string)o["g h"]!["i"]!);
        Assert.True((bool)o["$j"]!);
        Assert.Equal(-2.5, (double)o["k"]!);
        Assert.True(double.IsNaN((double)o["l"]!));
    }

    [Theory]
    [InlineData("{a:foo()}", "'foo' is an expression")]
    [InlineData("{a:1", "unterminated object")]
    [InlineData("{a:\"x}", "unterminated string")]
    [InlineData("{a 1}", "expected ':'")]
    public void JsObjectReader_NotALiteral_ThrowsFormatExceptionWithOffset(string text, string problem)
    {
        var e = Assert.Throws<FormatException>(() => JsObjectReader.Parse(text));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Contains("at offset", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsObjectReader_DeepNesting_IsRefused()
    {
        string text = new string('[', JsObjectReader.MaxDepth + 2) + new string(']', JsObjectReader.MaxDepth + 2);
        var e = Assert.Throws<FormatException>(() => JsObjectReader.Parse(text));
        Assert.Contains("nesting deeper", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Unwraps the nsfwjs bundle into the standard TF.js layout (model.json + binary shards named by
    /// the manifest), optionally editing the model first.
    /// </summary>
    private string WriteModelJsonFolder(string name, Action<JsonObject>? edit = null)
    {
        string folder = Path.Combine(_temp, name);
        Directory.CreateDirectory(folder);
        string js = File.ReadAllText(Path.Combine(NsfwjsModel, "model.min.js"));
        int position = js.IndexOf("exports={", StringComparison.Ordinal) + "exports=".Length;
        JsonObject model = JsObjectReader.Parse(js, ref position)!.AsObject();
        edit?.Invoke(model);
        File.WriteAllText(Path.Combine(folder, "model.json"), model.ToJsonString());

        foreach (JsonNode? path in model["weightsManifest"]![0]!["paths"]!.AsArray())
        {
            string shard = File.ReadAllText(Path.Combine(NsfwjsModel, (string)path! + ".min.js"));
            int start = shard.IndexOf("exports=\"", StringComparison.Ordinal) + "exports=\"".Length;
            byte[] base64 = Encoding.ASCII.GetBytes(shard[start..shard.IndexOf('"', start)]);
            byte[] bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
            Assert.Equal(System.Buffers.OperationStatus.Done, Base64.DecodeFromUtf8(base64, bytes, out _, out int written));
            File.WriteAllBytes(Path.Combine(folder, (string)path!), bytes[..written]);
        }
        return folder;
    }
}
