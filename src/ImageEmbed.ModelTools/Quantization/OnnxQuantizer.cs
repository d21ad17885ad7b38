using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.ModelTools.Quantization;

/// <summary>What <see cref="OnnxQuantizer"/> changed in one file.</summary>
/// <param name="MatMuls">MatMul nodes rewritten to the int8 pattern.</param>
/// <param name="Weights">Float weight matrices replaced by int8 ones.</param>
/// <param name="FloatBytes">Bytes those weights took as float32.</param>
/// <param name="Int8Bytes">Bytes they take now (int8 values and their scales).</param>
public sealed record QuantizationResult(int MatMuls, int Weights, long FloatBytes, long Int8Bytes);

/// <summary>
/// Dynamic int8 quantization of an ONNX model's linear layers. Each MatMul whose second input is a 2-D
/// float initializer (read by MatMul nodes only, at least <see cref="MinElements"/> elements) becomes
/// <c>DynamicQuantizeLinear(A) → MatMulInteger(A_q, W_int8, A_zero) → Cast → Mul(A_scale × W_scale)</c>:
/// the activation is quantized per run (uint8, its own scale and zero point), the weight once (int8,
/// symmetric, one scale per output column). ONNX Runtime fuses the pattern into one int8 kernel
/// (DynamicQuantizeMatMul). Conv stays float: ConvInteger has no fast CPU kernel. Everything else in the
/// file is passed through byte for byte.
/// </summary>
public static class OnnxQuantizer
{
    /// <summary>Smaller matrices are left float: their share of the time is small and quantizing the activation costs a pass.</summary>
    public const int MinElements = 4096;

    /// <summary>DynamicQuantizeLinear appeared in opset 11.</summary>
    public const int MinOpset = 11;

    private const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int AttrName = 1, AttrI = 3, AttrType = 20, AttributeTypeInt = 2;
    private const int Float = 1, Int8 = 3;

    /// <summary>
    /// Quantizes <paramref name="source"/> into <paramref name="destination"/> (written through a temporary
    /// file, so a failure leaves nothing). When there is nothing to quantize, nothing is written and the
    /// result counts zero MatMuls.
    /// </summary>
    /// <exception cref="QuantizationException">The file is malformed, keeps its weights in external data, or its opset is below 11.</exception>
    public static QuantizationResult QuantizeFile(string source, string destination, bool perColumn = true)
    {
        var info = new FileInfo(source);
        if (info.Length > int.MaxValue)
            throw new QuantizationException($"{source} is {info.Length:N0} bytes; files over 2 GB keep their weights in external data, which the quantizer does not read.");
        byte[] bytes = File.ReadAllBytes(source);
        OnnxProtoModel model = OnnxProtoModel.Read(bytes);
        (Dictionary<int, IReadOnlyList<byte[]>> replacements, QuantizationResult result) = Plan(model, source, perColumn);
        if (result.MatMuls == 0) return result;

        string full = Path.GetFullPath(destination);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                model.Write(stream, replacements);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return result;
    }

    /// <summary>The quantized model as bytes (for tests and in-memory use).</summary>
    internal static byte[] Quantize(byte[] onnx, out QuantizationResult result, bool perColumn = true)
    {
        OnnxProtoModel model = OnnxProtoModel.Read(onnx);
        (Dictionary<int, IReadOnlyList<byte[]>> replacements, result) = Plan(model, "the model", perColumn);
        using var stream = new MemoryStream();
        model.Write(stream, replacements);
        return stream.ToArray();
    }

    private static (Dictionary<int, IReadOnlyList<byte[]>>, QuantizationResult) Plan(OnnxProtoModel model, string what, bool perColumn)
    {
        if (model.Initializers.Values.FirstOrDefault(t => t.External) is { } external)
            throw new QuantizationException($"{what} keeps its weights in external data files (initializer '{external.Name}'); the quantizer reads self-contained ONNX files only. Save it with its weights inside (onnx.save(model, path, save_as_external_data=False)) and try again.");
        if (model.DefaultOpset is not { } opset)
            throw new QuantizationException($"{what} imports no default (ai.onnx) operator set; int8 quantization needs opset {MinOpset} or later.");
        if (opset < MinOpset)
            throw new QuantizationException($"{what} uses opset {opset}; int8 quantization needs DynamicQuantizeLinear, which came with opset {MinOpset}. Re-export the model with opset {MinOpset} or later.");

        // Every use of every name: a weight qualifies only when all its uses are as a MatMul's second input.
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        var matMulUses = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeView node in model.Nodes.Values)
        {
            foreach (string input in node.Inputs) uses[input] = uses.GetValueOrDefault(input) + 1;
            if (IsQuantizableMatMul(node)) matMulUses[node.Inputs[1]] = matMulUses.GetValueOrDefault(node.Inputs[1]) + 1;
            names.UnionWith(node.Outputs);
            if (node.Name.Length > 0) names.Add(node.Name);
        }
        foreach (TensorView t in model.Initializers.Values) names.Add(t.Name);
        names.UnionWith(model.InputNames);
        names.UnionWith(model.OutputNames);

        var replacements = new Dictionary<int, IReadOnlyList<byte[]>>();
        var quantized = new Dictionary<string, (string Weight, string Scale)>(StringComparer.Ordinal);
        long floatBytes = 0, int8Bytes = 0;
        byte[] buffer = model.Buffer;
        foreach ((int index, TensorView t) in model.Initializers)
        {
            if (t.DataType != Float || t.Dims.Length != 2 || t.ElementCount < MinElements) continue;
            if (!matMulUses.TryGetValue(t.Name, out int asWeight) || asWeight != uses.GetValueOrDefault(t.Name)) continue;
            // A graph input of that name may be fed at run time; an output or a subgraph's read needs the float values.
            if (model.InputNames.Contains(t.Name) || model.OutputNames.Contains(t.Name) || model.SubgraphReferences.Contains(t.Name)) continue;
            if (quantized.ContainsKey(t.Name)) continue; // a duplicate initializer name; ONNX Runtime would refuse the file anyway

            float[] w = t.Floats(buffer);
            int rows = (int)t.Dims[0], columns = (int)t.Dims[1];
            (sbyte[] q, float[] scales) = QuantizeWeight(w, rows, columns, perColumn);
            string weightName = Unique(names, t.Name + "_int8"), scaleName = Unique(names, t.Name + "_scale");
            replacements[index] =
            [
                Tensor(weightName, [rows, columns], Int8, System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan())),
                Tensor(scaleName, perColumn ? [columns] : [], Float, System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan())),
            ];
            quantized[t.Name] = (weightName, scaleName);
            floatBytes += (long)w.Length * sizeof(float);
            int8Bytes += q.Length + (long)scales.Length * sizeof(float);
        }

        int matMuls = 0;
        foreach ((int index, NodeView node) in model.Nodes)
        {
            if (!IsQuantizableMatMul(node) || !quantized.TryGetValue(node.Inputs[1], out var weight)) continue;
            string stem = node.Name.Length > 0 ? node.Name : node.Outputs[0];
            string aq = Unique(names, stem + "_a_int8"), aScale = Unique(names, stem + "_a_scale"), aZero = Unique(names, stem + "_a_zero");
            string product = Unique(names, stem + "_product_int32"), productFloat = Unique(names, stem + "_product"), scale = Unique(names, stem + "_rescale");
            replacements[index] =
            [
                Node(Unique(names, stem + "_quantize"), "DynamicQuantizeLinear", [node.Inputs[0]], [aq, aScale, aZero]),
                Node(Unique(names, stem + "_matmul_int8"), "MatMulInteger", [aq, weight.Weight, aZero], [product]),
                Node(Unique(names, stem + "_cast"), "Cast", [product], [productFloat], ("to", Float)),
                Node(Unique(names, stem + "_scale"), "Mul", [aScale, weight.Scale], [scale]),
                Node(Unique(names, stem + "_dequantize"), "Mul", [productFloat, scale], [node.Outputs[0]]),
            ];
            matMuls++;
        }
        return (replacements, new QuantizationResult(matMuls, quantized.Count, floatBytes, int8Bytes));
    }

    private static bool IsQuantizableMatMul(NodeView node) =>
        node.OpType == "MatMul" && node.IsDefaultDomain && node.Inputs.Length == 2 && node.Outputs.Length == 1;

    /// <summary>
    /// Symmetric int8 in 7 bits (−63..63, zero point 0, ONNX Runtime's <c>reduce_range</c>): on x86 without VNNI,
    /// ORT's u8×s8 kernel adds pairs of products in saturating 16-bit lanes, which full-range weights overflow
    /// (a test MLP fell to cosine 0.996 on an AVX2-only host). Per output column (<paramref name="perColumn"/>) or one scale
    /// for the matrix. An all-zero column gets scale 1 so that nothing divides by zero.
    /// </summary>
    private const float MaxWeight = 63f;

    internal static (sbyte[] Values, float[] Scales) QuantizeWeight(ReadOnlySpan<float> w, int rows, int columns, bool perColumn)
    {
        float[] scales = new float[perColumn ? columns : 1];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = w.Slice(r * columns, columns);
            for (int c = 0; c < columns; c++)
            {
                ref float s = ref scales[perColumn ? c : 0];
                s = MathF.Max(s, MathF.Abs(row[c]));
            }
        }
        for (int i = 0; i < scales.Length; i++) scales[i] = scales[i] > 0 && float.IsFinite(scales[i]) ? scales[i] / MaxWeight : 1f;
        sbyte[] q = new sbyte[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                q[r * columns + c] = (sbyte)Math.Clamp(MathF.Round(w[r * columns + c] / scales[perColumn ? c : 0]), -MaxWeight, MaxWeight);
        return (q, scales);
    }

    private static string Unique(HashSet<string> names, string wanted)
    {
        string name = wanted;
        for (int i = 1; !names.Add(name); i++) name = $"{wanted}_{i}";
        return name;
    }

    // The replacement fields, encoded with their graph field tags (GraphProto.initializer, GraphProto.node).
    private static byte[] Tensor(string name, long[] dims, int dataType, ReadOnlySpan<byte> raw)
    {
        long size = ProtoWriter.SizeOfInt64(TensorDataType, dataType) + ProtoWriter.SizeOfString(TensorName, name) + ProtoWriter.SizeOfLengthDelimited(TensorRawData, raw.Length);
        foreach (long d in dims) size += ProtoWriter.SizeOfInt64(TensorDims, d);
        using var stream = new MemoryStream((int)size + 16);
        var w = new ProtoWriter(stream);
        w.Header(OnnxProtoModel.GraphInitializer, size);
        foreach (long d in dims) w.Int64(TensorDims, d);
        w.Int64(TensorDataType, dataType);
        w.String(TensorName, name);
        w.Bytes(TensorRawData, raw);
        return stream.ToArray();
    }

    private static byte[] Node(string name, string opType, string[] inputs, string[] outputs, (string Name, long Value)? intAttribute = null)
    {
        long attribute = intAttribute is { } a
            ? ProtoWriter.SizeOfString(AttrName, a.Name) + ProtoWriter.SizeOfInt64(AttrI, a.Value) + ProtoWriter.SizeOfInt64(AttrType, AttributeTypeInt)
            : 0;
        long size = ProtoWriter.SizeOfString(NodeName, name) + ProtoWriter.SizeOfString(NodeOpType, opType);
        foreach (string i in inputs) size += ProtoWriter.SizeOfString(NodeInput, i);
        foreach (string o in outputs) size += ProtoWriter.SizeOfString(NodeOutput, o);
        if (intAttribute is not null) size += ProtoWriter.SizeOfLengthDelimited(NodeAttribute, attribute);
        using var stream = new MemoryStream();
        var w = new ProtoWriter(stream);
        w.Header(OnnxProtoModel.GraphNode, size);
        foreach (string i in inputs) w.String(NodeInput, i);
        foreach (string o in outputs) w.String(NodeOutput, o);
        w.String(NodeName, name);
        w.String(NodeOpType, opType);
        if (intAttribute is { } attr)
        {
            w.Header(NodeAttribute, attribute);
            w.String(AttrName, attr.Name);
            w.Int64(AttrI, attr.Value);
            w.Int64(AttrType, AttributeTypeInt);
        }
        return stream.ToArray();
    }
}
