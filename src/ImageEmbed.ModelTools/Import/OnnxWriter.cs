namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// Encodes an <see cref="OnnxModel"/> as an ONNX protobuf file by hand: only the messages and fields
/// the importer needs, which keeps a protobuf library (and its generated code) out of the product.
/// Field numbers are those of <c>onnx/onnx.proto</c>; repeated scalars are written unpacked, the
/// proto2 default that every ONNX reader accepts.
/// </summary>
internal static class OnnxWriter
{
    // ModelProto
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelDocString = 6, ModelGraph = 7, ModelOpsetImport = 8;
    // OperatorSetIdProto
    private const int OpsetDomain = 1, OpsetVersion = 2;
    // GraphProto
    private const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    // NodeProto
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    // AttributeProto
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrS = 4, AttrInts = 8, AttrType = 20;
    // TensorProto
    private const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, TensorShapeProto.Dimension
    private const int ValueInfoName = 1, ValueInfoType = 2;
    private const int TypeTensorType = 1;
    private const int TensorTypeElemType = 1, TensorTypeShape = 2;
    private const int ShapeDim = 1;
    private const int DimValue = 1, DimParam = 2;

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file in the same
    /// folder that is moved into place only when complete, so a failure never leaves a partial model
    /// (and an existing file stays as it was). Creates the folder if needed.
    /// </summary>
    public static void WriteFile(OnnxModel model, string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder.", nameof(path));
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Write(model, stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path); // a no-op when the file was never created
        }
        catch (IOException)
        {
            // Keep the original failure; a stray temporary file is the lesser problem.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public static void Write(OnnxModel model, Stream stream)
    {
        // raw_data is little-endian by definition; the tensors hand over their memory as is.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Writing ONNX raw_data needs a little-endian machine.");
        var w = new ProtoWriter(stream);
        w.Int64(ModelIrVersion, model.IrVersion);
        w.String(ModelProducerName, model.ProducerName);
        if (model.DocString.Length > 0) w.String(ModelDocString, model.DocString);
        w.Header(ModelGraph, SizeOf(model.Graph));
        WriteGraph(w, model.Graph);
        w.Header(ModelOpsetImport, SizeOfOpset(model.OpsetVersion));
        w.String(OpsetDomain, ""); // the default ai.onnx domain
        w.Int64(OpsetVersion, model.OpsetVersion);
    }

    /// <summary>One graph <c>node</c> field (tag included), for splicing into an existing graph.</summary>
    public static byte[] GraphNodeField(OnnxNode node) => Field(GraphNode, SizeOf(node), w => WriteNode(w, node));

    /// <summary>One graph <c>input</c> or <c>output</c> field (tag included), for splicing into an existing graph.</summary>
    public static byte[] GraphValueInfoField(bool input, OnnxValueInfo info) => Field(input ? GraphInput : GraphOutput, SizeOf(info), w => WriteValueInfo(w, info));

    private static byte[] Field(int number, long size, Action<ProtoWriter> write)
    {
        using var stream = new MemoryStream();
        var w = new ProtoWriter(stream);
        w.Header(number, size);
        write(w);
        return stream.ToArray();
    }

    private static long SizeOfOpset(long version) => ProtoWriter.SizeOfString(OpsetDomain, "") + ProtoWriter.SizeOfInt64(OpsetVersion, version);

    private static void WriteGraph(ProtoWriter w, OnnxGraph graph)
    {
        foreach (OnnxNode node in graph.Nodes)
        {
            w.Header(GraphNode, SizeOf(node));
            WriteNode(w, node);
        }
        w.String(GraphName, graph.Name);
        foreach (OnnxTensor tensor in graph.Initializers)
        {
            w.Header(GraphInitializer, SizeOf(tensor));
            WriteTensor(w, tensor);
        }
        foreach (OnnxValueInfo input in graph.Inputs)
        {
            w.Header(GraphInput, SizeOf(input));
            WriteValueInfo(w, input);
        }
        foreach (OnnxValueInfo output in graph.Outputs)
        {
            w.Header(GraphOutput, SizeOf(output));
            WriteValueInfo(w, output);
        }
    }

    private static long SizeOf(OnnxGraph graph)
    {
        long size = ProtoWriter.SizeOfString(GraphName, graph.Name);
        foreach (OnnxNode node in graph.Nodes) size += ProtoWriter.SizeOfLengthDelimited(GraphNode, SizeOf(node));
        foreach (OnnxTensor tensor in graph.Initializers) size += ProtoWriter.SizeOfLengthDelimited(GraphInitializer, SizeOf(tensor));
        foreach (OnnxValueInfo input in graph.Inputs) size += ProtoWriter.SizeOfLengthDelimited(GraphInput, SizeOf(input));
        foreach (OnnxValueInfo output in graph.Outputs) size += ProtoWriter.SizeOfLengthDelimited(GraphOutput, SizeOf(output));
        return size;
    }

    private static void WriteNode(ProtoWriter w, OnnxNode node)
    {
        foreach (string input in node.Inputs) w.String(NodeInput, input);
        foreach (string output in node.Outputs) w.String(NodeOutput, output);
        w.String(NodeName, node.Name);
        w.String(NodeOpType, node.OpType);
        foreach (OnnxAttribute attribute in node.Attributes)
        {
            w.Header(NodeAttribute, SizeOf(attribute));
            WriteAttribute(w, attribute);
        }
    }

    private static long SizeOf(OnnxNode node)
    {
        long size = ProtoWriter.SizeOfString(NodeName, node.Name) + ProtoWriter.SizeOfString(NodeOpType, node.OpType);
        foreach (string input in node.Inputs) size += ProtoWriter.SizeOfString(NodeInput, input);
        foreach (string output in node.Outputs) size += ProtoWriter.SizeOfString(NodeOutput, output);
        foreach (OnnxAttribute attribute in node.Attributes) size += ProtoWriter.SizeOfLengthDelimited(NodeAttribute, SizeOf(attribute));
        return size;
    }

    private static void WriteAttribute(ProtoWriter w, OnnxAttribute attribute)
    {
        w.String(AttrName, attribute.Name);
        switch (attribute.Type)
        {
            case OnnxAttributeType.Float: w.Float(AttrF, attribute.FloatValue); break;
            case OnnxAttributeType.Int: w.Int64(AttrI, attribute.IntValue); break;
            case OnnxAttributeType.String: w.String(AttrS, attribute.StringValue); break;
            case OnnxAttributeType.Ints:
                foreach (long value in attribute.IntsValue) w.Int64(AttrInts, value);
                break;
            default: throw new InvalidOperationException($"Attribute type {attribute.Type} has no encoder.");
        }
        w.Int64(AttrType, (long)attribute.Type);
    }

    private static long SizeOf(OnnxAttribute attribute)
    {
        long size = ProtoWriter.SizeOfString(AttrName, attribute.Name) + ProtoWriter.SizeOfInt64(AttrType, (long)attribute.Type);
        switch (attribute.Type)
        {
            case OnnxAttributeType.Float: size += ProtoWriter.SizeOfFloat(AttrF); break;
            case OnnxAttributeType.Int: size += ProtoWriter.SizeOfInt64(AttrI, attribute.IntValue); break;
            case OnnxAttributeType.String: size += ProtoWriter.SizeOfString(AttrS, attribute.StringValue); break;
            case OnnxAttributeType.Ints:
                foreach (long value in attribute.IntsValue) size += ProtoWriter.SizeOfInt64(AttrInts, value);
                break;
            default: throw new InvalidOperationException($"Attribute type {attribute.Type} has no encoder.");
        }
        return size;
    }

    private static void WriteTensor(ProtoWriter w, OnnxTensor tensor)
    {
        foreach (long d in tensor.Dims) w.Int64(TensorDims, d);
        w.Int64(TensorDataType, (long)tensor.DataType);
        w.String(TensorName, tensor.Name);
        w.Bytes(TensorRawData, tensor.RawData);
    }

    private static long SizeOf(OnnxTensor tensor)
    {
        long size = ProtoWriter.SizeOfInt64(TensorDataType, (long)tensor.DataType)
            + ProtoWriter.SizeOfString(TensorName, tensor.Name)
            + ProtoWriter.SizeOfLengthDelimited(TensorRawData, tensor.RawLength);
        foreach (long d in tensor.Dims) size += ProtoWriter.SizeOfInt64(TensorDims, d);
        return size;
    }

    // ValueInfoProto { name, type: TypeProto { tensor_type: Tensor { elem_type, shape: { dim* } } } }
    private static void WriteValueInfo(ProtoWriter w, OnnxValueInfo info)
    {
        w.String(ValueInfoName, info.Name);
        long shape = SizeOfShape(info.Shape);
        long tensorType = ProtoWriter.SizeOfInt64(TensorTypeElemType, (long)info.ElementType) + ProtoWriter.SizeOfLengthDelimited(TensorTypeShape, shape);
        w.Header(ValueInfoType, ProtoWriter.SizeOfLengthDelimited(TypeTensorType, tensorType));
        w.Header(TypeTensorType, tensorType);
        w.Int64(TensorTypeElemType, (long)info.ElementType);
        w.Header(TensorTypeShape, shape);
        foreach (OnnxDim dim in info.Shape)
        {
            w.Header(ShapeDim, SizeOf(dim));
            if (dim.Param is null) w.Int64(DimValue, dim.Value);
            else w.String(DimParam, dim.Param);
        }
    }

    private static long SizeOf(OnnxValueInfo info)
    {
        long tensorType = ProtoWriter.SizeOfInt64(TensorTypeElemType, (long)info.ElementType) + ProtoWriter.SizeOfLengthDelimited(TensorTypeShape, SizeOfShape(info.Shape));
        long type = ProtoWriter.SizeOfLengthDelimited(TypeTensorType, tensorType);
        return ProtoWriter.SizeOfString(ValueInfoName, info.Name) + ProtoWriter.SizeOfLengthDelimited(ValueInfoType, type);
    }

    private static long SizeOfShape(OnnxDim[] shape)
    {
        long size = 0;
        foreach (OnnxDim dim in shape) size += ProtoWriter.SizeOfLengthDelimited(ShapeDim, SizeOf(dim));
        return size;
    }

    private static long SizeOf(OnnxDim dim) =>
        dim.Param is null ? ProtoWriter.SizeOfInt64(DimValue, dim.Value) : ProtoWriter.SizeOfString(DimParam, dim.Param);
}
