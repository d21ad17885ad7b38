using System.Runtime.InteropServices;
using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.ModelTools.Quantization;

/// <summary>
/// An ONNX file read at the wire level: the top-level graph's nodes, initializers, inputs and outputs are
/// interpreted, and every other field (of the model, the graph, the nodes and tensors) is kept as its
/// original bytes. <see cref="Write"/> with no replacements gives back the file byte for byte; with some,
/// only the replaced graph fields change. Field numbers are those of <c>onnx/onnx.proto</c>.
/// </summary>
internal sealed class OnnxProtoModel
{
    // ModelProto, OperatorSetIdProto
    private const int ModelGraph = 7, ModelOpsetImport = 8, OpsetDomain = 1, OpsetVersion = 2;
    // GraphProto
    public const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12, GraphValueInfo = 13;
    // NodeProto, AttributeProto (subgraphs), ValueInfoProto
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;
    private const int AttrGraph = 6, AttrGraphs = 11, ValueInfoName = 1;
    // TensorProto
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9, TensorDataLocation = 14;
    private const int DataLocationExternal = 1;

    private OnnxProtoModel(byte[] buffer, List<ProtoField> modelFields, int graphIndex, List<ProtoField> graphFields)
    {
        Buffer = buffer;
        ModelFields = modelFields;
        GraphIndex = graphIndex;
        GraphFields = graphFields;
    }

    public byte[] Buffer { get; }
    public List<ProtoField> ModelFields { get; }
    public int GraphIndex { get; }

    /// <summary>The top-level graph's fields in file order; replacements are keyed by index in this list.</summary>
    public List<ProtoField> GraphFields { get; }

    /// <summary>The graph's nodes by index in <see cref="GraphFields"/>, in file (topological) order.</summary>
    public SortedDictionary<int, NodeView> Nodes { get; } = [];

    /// <summary>The graph's initializers by index in <see cref="GraphFields"/>.</summary>
    public SortedDictionary<int, TensorView> Initializers { get; } = [];

    public HashSet<string> InputNames { get; } = new(StringComparer.Ordinal);
    public HashSet<string> OutputNames { get; } = new(StringComparer.Ordinal);

    /// <summary>Names read inside subgraphs (If, Loop, Scan bodies) of any node: outer values those bodies use.</summary>
    public HashSet<string> SubgraphReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>The version of the default (<c>ai.onnx</c>) operator set the model imports; null when it imports none.</summary>
    public long? DefaultOpset { get; private set; }

    /// <exception cref="QuantizationException">The bytes are not a well-formed ONNX model with a graph.</exception>
    public static OnnxProtoModel Read(byte[] buffer)
    {
        List<ProtoField> modelFields = ProtoReader.Fields(buffer, 0, buffer.Length);
        int graphIndex = modelFields.FindIndex(f => f.Number == ModelGraph && f.Type == WireType.LengthDelimited);
        if (graphIndex < 0) throw new QuantizationException("Not a valid ONNX file: it has no graph.");
        var model = new OnnxProtoModel(buffer, modelFields, graphIndex, ProtoReader.Fields(buffer, modelFields[graphIndex]));
        foreach (ProtoField f in modelFields.Where(f => f.Number == ModelOpsetImport && f.Type == WireType.LengthDelimited))
        {
            string domain = "";
            long version = 0;
            foreach (ProtoField g in ProtoReader.Fields(buffer, f))
            {
                if (g.Number == OpsetDomain && g.Type == WireType.LengthDelimited) domain = ProtoReader.String(buffer, g);
                else if (g.Number == OpsetVersion && g.Type == WireType.Varint) version = (long)g.Varint;
            }
            if (domain is "" or "ai.onnx") model.DefaultOpset = version;
        }
        for (int i = 0; i < model.GraphFields.Count; i++)
        {
            ProtoField f = model.GraphFields[i];
            if (f.Type != WireType.LengthDelimited) continue;
            switch (f.Number)
            {
                case GraphNode: model.Nodes[i] = model.ReadNode(f); break;
                case GraphInitializer: model.Initializers[i] = ReadTensor(buffer, f); break;
                case GraphInput: model.InputNames.Add(ValueInfoNameOf(buffer, f)); break;
                case GraphOutput: model.OutputNames.Add(ValueInfoNameOf(buffer, f)); break;
            }
        }
        return model;
    }

    /// <summary>
    /// Writes the model, with each graph field whose index is in <paramref name="replacements"/> replaced by
    /// the given encoded fields (tag included; an empty list removes it). Every other byte is the original's.
    /// </summary>
    public void Write(Stream stream, IReadOnlyDictionary<int, IReadOnlyList<byte[]>>? replacements = null)
    {
        long graphSize = 0;
        for (int i = 0; i < GraphFields.Count; i++)
            graphSize += replacements is not null && replacements.TryGetValue(i, out IReadOnlyList<byte[]>? with) ? with.Sum(b => (long)b.Length) : GraphFields[i].End - GraphFields[i].Start;
        for (int m = 0; m < ModelFields.Count; m++)
        {
            ProtoField field = ModelFields[m];
            if (m != GraphIndex)
            {
                stream.Write(Buffer, field.Start, field.End - field.Start);
                continue;
            }
            new ProtoWriter(stream).Header(ModelGraph, graphSize);
            for (int i = 0; i < GraphFields.Count; i++)
            {
                if (replacements is not null && replacements.TryGetValue(i, out IReadOnlyList<byte[]>? with))
                {
                    foreach (byte[] encoded in with) stream.Write(encoded);
                }
                else
                {
                    stream.Write(Buffer, GraphFields[i].Start, GraphFields[i].End - GraphFields[i].Start);
                }
            }
        }
    }

    private NodeView ReadNode(ProtoField node)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string opType = "", domain = "", name = "";
        foreach (ProtoField f in ProtoReader.Fields(Buffer, node))
        {
            if (f.Type != WireType.LengthDelimited) continue;
            switch (f.Number)
            {
                case NodeInput: inputs.Add(ProtoReader.String(Buffer, f)); break;
                case NodeOutput: outputs.Add(ProtoReader.String(Buffer, f)); break;
                case NodeName: name = ProtoReader.String(Buffer, f); break;
                case NodeOpType: opType = ProtoReader.String(Buffer, f); break;
                case NodeDomain: domain = ProtoReader.String(Buffer, f); break;
                case NodeAttribute: CollectSubgraphReferences(f); break;
            }
        }
        return new NodeView(opType, domain, name, [.. inputs], [.. outputs]);
    }

    // A subgraph may read any outer value by name, so an initializer it names is not ours to change.
    private void CollectSubgraphReferences(ProtoField attribute)
    {
        foreach (ProtoField a in ProtoReader.Fields(Buffer, attribute))
        {
            if (a.Type != WireType.LengthDelimited || a.Number is not (AttrGraph or AttrGraphs)) continue;
            foreach (ProtoField g in ProtoReader.Fields(Buffer, a))
            {
                if (g.Number != GraphNode || g.Type != WireType.LengthDelimited) continue;
                foreach (ProtoField n in ProtoReader.Fields(Buffer, g))
                {
                    if (n.Type != WireType.LengthDelimited) continue;
                    if (n.Number == NodeInput) SubgraphReferences.Add(ProtoReader.String(Buffer, n));
                    else if (n.Number == NodeAttribute) CollectSubgraphReferences(n);
                }
            }
        }
    }

    /// <summary>The name of a graph input, output or value_info field.</summary>
    public string ValueInfoNameOf(int graphFieldIndex) => ValueInfoNameOf(Buffer, GraphFields[graphFieldIndex]);

    private static string ValueInfoNameOf(byte[] buffer, ProtoField info)
    {
        foreach (ProtoField f in ProtoReader.Fields(buffer, info))
            if (f.Number == ValueInfoName && f.Type == WireType.LengthDelimited) return ProtoReader.String(buffer, f);
        return "";
    }

    private static TensorView ReadTensor(byte[] buffer, ProtoField tensor)
    {
        var dims = new List<long>();
        var floatData = new List<ProtoField>();
        string name = "";
        int dataType = 0;
        bool external = false;
        ProtoField? raw = null;
        foreach (ProtoField f in ProtoReader.Fields(buffer, tensor))
        {
            switch (f.Number)
            {
                case TensorDims: ProtoReader.Int64s(buffer, f, dims); break;
                case TensorDataType when f.Type == WireType.Varint: dataType = (int)f.Varint; break;
                case TensorFloatData: floatData.Add(f); break;
                case TensorName when f.Type == WireType.LengthDelimited: name = ProtoReader.String(buffer, f); break;
                case TensorRawData when f.Type == WireType.LengthDelimited: raw = f; break;
                case TensorDataLocation when f.Type == WireType.Varint: external = f.Varint == DataLocationExternal; break;
            }
        }
        return new TensorView(name, [.. dims], dataType, external, raw, floatData);
    }
}

/// <summary>What the quantizer needs to know of a node.</summary>
internal sealed record NodeView(string OpType, string Domain, string Name, string[] Inputs, string[] Outputs)
{
    public bool IsDefaultDomain => Domain is "" or "ai.onnx";
}

/// <summary>What the quantizer needs to know of an initializer; its data stays in the file's buffer.</summary>
internal sealed record TensorView(string Name, long[] Dims, int DataType, bool External, ProtoField? RawData, List<ProtoField> FloatData)
{
    public const int Float = 1;

    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>The elements of a FLOAT tensor, from <c>raw_data</c> (little-endian) or <c>float_data</c> (packed or not).</summary>
    /// <exception cref="QuantizationException">The data does not hold <see cref="ElementCount"/> floats.</exception>
    public float[] Floats(byte[] buffer)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Reading ONNX raw_data needs a little-endian machine.");
        float[] values;
        if (RawData is { } raw)
        {
            values = MemoryMarshal.Cast<byte, float>(buffer.AsSpan(raw.PayloadStart, raw.PayloadLength)).ToArray();
        }
        else
        {
            var list = new List<float>();
            foreach (ProtoField f in FloatData)
            {
                ReadOnlySpan<byte> bytes = f.Type == WireType.Fixed32 || f.Type == WireType.LengthDelimited ? buffer.AsSpan(f.PayloadStart, f.PayloadLength) : default;
                list.AddRange(MemoryMarshal.Cast<byte, float>(bytes).ToArray());
            }
            values = [.. list];
        }
        if (values.Length != ElementCount)
            throw new QuantizationException($"Not a valid ONNX file: initializer '{Name}' has dims [{string.Join(",", Dims)}] but holds {values.Length} values.");
        return values;
    }
}
