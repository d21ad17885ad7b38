using ImageEmbed.Models.Embeddings;
using ImageEmbed.ModelTools.Import;
using ImageEmbed.ModelTools.Quantization;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Tests;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// The ONNX rewriter keeps files byte for byte, and the int8 quantizer turns linear layers into ONNX
/// Runtime's dynamic int8 pattern with outputs within cosine 0.999 of the float model, leaving alone
/// what it must not touch.
/// </summary>
public sealed class OnnxQuantizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("imageembed-quant-").FullName;

    [Fact]
    public void Rewrite_SharedMobileNetFromAnotherExporter_IsByteIdentical()
    {
        byte[] original = File.ReadAllBytes(Path.Combine(TestPaths.ModelsDir, "mobilenet-v2-140", "model.onnx"));

        OnnxProtoModel model = OnnxProtoModel.Read(original);
        using var copy = new MemoryStream();
        model.Write(copy);

        Assert.True(model.Nodes.Count > 50, $"read {model.Nodes.Count} nodes");
        Assert.Equal(original, copy.ToArray());
    }

    [Fact]
    public void Rewrite_ModelFromOurWriter_IsByteIdentical()
    {
        byte[] original = Serialize(Mlp(new Random(1)));

        using var copy = new MemoryStream();
        OnnxProtoModel.Read(original).Write(copy);

        Assert.Equal(original, copy.ToArray());
    }

    [Fact]
    public void Quantize_Mlp_BecomesInt8PatternThatOrtRunsWithinCosine0999()
    {
        byte[] fp32 = Serialize(Mlp(new Random(2)));

        byte[] int8 = OnnxQuantizer.Quantize(fp32, out QuantizationResult result);

        Assert.Equal(3, result.MatMuls);
        Assert.Equal(3, result.Weights);
        OnnxProtoModel model = OnnxProtoModel.Read(int8);
        string[] ops = model.Nodes.Values.Select(n => n.OpType).ToArray();
        Assert.Equal(3, ops.Count(op => op == "DynamicQuantizeLinear"));
        Assert.Equal(3, ops.Count(op => op == "MatMulInteger"));
        Assert.DoesNotContain("MatMul", ops);
        // No float copy of a quantized matrix is left: the only float initializers are the biases and scales.
        Assert.DoesNotContain(model.Initializers.Values, t => t.DataType == TensorView.Float && t.ElementCount >= OnnxQuantizer.MinElements);
        Assert.Equal(3, model.Initializers.Values.Count(t => t.DataType == 3 && t.Dims.Length == 2));
        Assert.True(int8.Length < fp32.Length / 3, $"int8 file {int8.Length:N0} bytes, float {fp32.Length:N0}");

        float[] a = Run(fp32, out int rows), b = Run(int8, out _);
        for (int r = 0; r < rows; r++)
            Assert.InRange(VectorMath.Cosine(a.AsSpan(r * OutputWidth, OutputWidth), b.AsSpan(r * OutputWidth, OutputWidth)), 0.999f, 1.0001f);
    }

    [Fact]
    public void Quantize_WeightsUsedElsewhereOneDimensionalOrSmall_LeftAlone()
    {
        var rng = new Random(3);
        // W is also added to a value; v is 1-D; s is 2-D but under the size limit; x2 is a graph input, not an initializer.
        var model = new OnnxModel(new OnnxGraph("not_quantizable",
            [
                new OnnxNode("MatMul", "mm_shared", ["x", "W"], ["y1"], []),
                new OnnxNode("Add", "uses_w", ["y1", "W_row"], ["y1b"], []),
                new OnnxNode("Add", "w_elsewhere", ["W", "W"], ["w2"], []),
                new OnnxNode("MatMul", "mm_vector", ["x", "v"], ["y2"], []),
                new OnnxNode("MatMul", "mm_small", ["x", "s"], ["y3"], []),
                new OnnxNode("MatMul", "mm_input", ["x", "x2"], ["y4"], []),
            ],
            [
                OnnxTensor.Float("W", [128, 64], RandomFloats(rng, 128 * 64)),
                OnnxTensor.Float("W_row", [64], RandomFloats(rng, 64)),
                OnnxTensor.Float("v", [128], RandomFloats(rng, 128)),
                OnnxTensor.Float("s", [128, 16], RandomFloats(rng, 128 * 16)),
            ],
            [Input("x", 128), new OnnxValueInfo("x2", OnnxDataType.Float, [OnnxDim.Fixed(128), OnnxDim.Fixed(64)])],
            [Output("y1b", 64), Output("w2", 64, rows: 128), new OnnxValueInfo("y2", OnnxDataType.Float, [OnnxDim.Symbolic("n")]), Output("y3", 16), Output("y4", 64)]),
            "nothing to quantize") { OpsetVersion = 17 };
        byte[] fp32 = Serialize(model);

        byte[] same = OnnxQuantizer.Quantize(fp32, out QuantizationResult result);
        string path = Path.Combine(_dir, "out.onnx");
        QuantizationResult fromFile = OnnxQuantizer.QuantizeFile(WriteTemp(fp32), path);

        Assert.Equal(0, result.MatMuls);
        Assert.Equal(fp32, same);
        Assert.Equal(0, fromFile.MatMuls);
        Assert.False(File.Exists(path), "nothing to quantize writes no file");
    }

    [Fact]
    public void Quantize_ExternalData_RefusedWithMessage()
    {
        byte[] fp32 = Serialize(Mlp(new Random(4)));
        OnnxProtoModel model = OnnxProtoModel.Read(fp32);
        (int index, TensorView w1) = model.Initializers.First(p => p.Value.Name == "w1");
        using var external = new MemoryStream();
        model.Write(external, new Dictionary<int, IReadOnlyList<byte[]>> { [index] = [ExternalTensor(w1.Name, w1.Dims)] });

        var e = Assert.Throws<QuantizationException>(() => OnnxQuantizer.Quantize(external.ToArray(), out _));

        Assert.Contains("keeps its weights in external data files (initializer 'w1')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_Opset10_RefusedWithMessage()
    {
        byte[] fp32 = Serialize(Mlp(new Random(5)) with { OpsetVersion = 10 });

        var e = Assert.Throws<QuantizationException>(() => OnnxQuantizer.QuantizeFile(WriteTemp(fp32), Path.Combine(_dir, "out.onnx")));

        Assert.Contains("uses opset 10; int8 quantization needs DynamicQuantizeLinear, which came with opset 11", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_NotOnnx_RefusedAsMalformed()
    {
        var e = Assert.Throws<QuantizationException>(() => OnnxQuantizer.Quantize("{\"not\": \"onnx\"}"u8.ToArray(), out _));
        Assert.StartsWith("Not a valid ONNX file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuantizeWeight_ColumnsOfDifferentScale_PerColumnIsCloserThanOneScale()
    {
        // Column 0 is 100x larger than the rest: one scale for the matrix rounds the small columns to a few levels;
        // their own scales keep them at full 8-bit resolution.
        var rng = new Random(6);
        const int rows = 64, columns = 8;
        float[] w = new float[rows * columns];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * (i % columns == 0 ? 1f : 0.01f);

        double perColumn = ReconstructionError(w, rows, columns, perColumn: true);
        double perTensor = ReconstructionError(w, rows, columns, perColumn: false);

        Assert.True(perColumn < perTensor / 100, $"small columns: per-column error {perColumn:E2}, per-tensor {perTensor:E2}");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const int InputWidth = 64, OutputWidth = 96;

    // x[N,64] → MatMul [64,128] + b → Relu → MatMul [128,128] + b → Relu → MatMul [128,96] → y
    private static OnnxModel Mlp(Random rng)
    {
        float scale1 = 1 / MathF.Sqrt(64), scale2 = 1 / MathF.Sqrt(128);
        return new OnnxModel(new OnnxGraph("mlp",
            [
                new OnnxNode("MatMul", "fc1", ["x", "w1"], ["h1"], []),
                new OnnxNode("Add", "fc1_bias", ["h1", "b1"], ["h1b"], []),
                new OnnxNode("Relu", "relu1", ["h1b"], ["a1"], []),
                new OnnxNode("MatMul", "fc2", ["a1", "w2"], ["h2"], []),
                new OnnxNode("Add", "fc2_bias", ["h2", "b2"], ["h2b"], []),
                new OnnxNode("Relu", "relu2", ["h2b"], ["a2"], []),
                new OnnxNode("MatMul", "fc3", ["a2", "w3"], ["y"], []),
            ],
            [
                OnnxTensor.Float("w1", [InputWidth, 128], RandomFloats(rng, InputWidth * 128, scale1)),
                OnnxTensor.Float("b1", [128], RandomFloats(rng, 128, 0.1f)),
                OnnxTensor.Float("w2", [128, 128], RandomFloats(rng, 128 * 128, scale2)),
                OnnxTensor.Float("b2", [128], RandomFloats(rng, 128, 0.1f)),
                OnnxTensor.Float("w3", [128, OutputWidth], RandomFloats(rng, 128 * OutputWidth, scale2)),
            ],
            [Input("x", InputWidth)],
            [Output("y", OutputWidth)]), "test MLP") { OpsetVersion = 17 };
    }

    private static OnnxValueInfo Input(string name, int width) => new(name, OnnxDataType.Float, [OnnxDim.Symbolic("n"), OnnxDim.Fixed(width)]);

    private static OnnxValueInfo Output(string name, int width, int rows = 0) =>
        new(name, OnnxDataType.Float, [rows > 0 ? OnnxDim.Fixed(rows) : OnnxDim.Symbolic("n"), OnnxDim.Fixed(width)]);

    private static float[] RandomFloats(Random rng, int count, float scale = 0.05f)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return values;
    }

    private float[] Run(byte[] onnx, out int rows)
    {
        rows = 32;
        float[] x = RandomFloats(new Random(99), rows * InputWidth, 1f);
        using var session = new OrtSession(WriteTemp(onnx));
        using OrtOutputs outputs = session.Run([OrtInput.Float("x", x, rows, InputWidth)], ["y"]);
        return outputs[0].AsFloats().ToArray();
    }

    private string WriteTemp(byte[] bytes)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Serialize(OnnxModel model)
    {
        using var stream = new MemoryStream();
        OnnxWriter.Write(model, stream);
        return stream.ToArray();
    }

    // TensorProto { dims, data_type FLOAT, name, external_data [{location: weights.bin}], data_location EXTERNAL }, as a graph initializer field.
    private static byte[] ExternalTensor(string name, long[] dims)
    {
        using var entry = new MemoryStream();
        var e = new ProtoWriter(entry);
        e.String(1, "location");
        e.String(2, "weights.bin");
        using var tensor = new MemoryStream();
        var t = new ProtoWriter(tensor);
        foreach (long d in dims) t.Int64(1, d);
        t.Int64(2, 1);
        t.String(8, name);
        t.Bytes(13, entry.ToArray());
        t.Int64(14, 1);
        using var field = new MemoryStream();
        new ProtoWriter(field).Bytes(OnnxProtoModel.GraphInitializer, tensor.ToArray());
        return field.ToArray();
    }

    private static double ReconstructionError(float[] w, int rows, int columns, bool perColumn)
    {
        (sbyte[] q, float[] scales) = OnnxQuantizer.QuantizeWeight(w, rows, columns, perColumn);
        double error = 0;
        for (int i = 0; i < w.Length; i++)
        {
            if (i % columns == 0) continue; // the large column has the same scale either way
            double back = q[i] * scales[perColumn ? i % columns : 0];
            error += (back - w[i]) * (back - w[i]);
        }
        return error;
    }
}
