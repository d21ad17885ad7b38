using System.Collections.Frozen;

namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// Converts a TensorFlow.js graph model (an image CNN such as MobileNet) to an ONNX opset 13 file
/// with ImageEmbed's encoder contract: input <c>input</c>, float32 NHWC <c>[N,H,W,3]</c> as the
/// TF.js model takes it; output <c>embedding</c>, the features that feed the classifier head (the
/// first input of the last MatMul before a final Softmax), and output <c>probs</c>, that Softmax.
/// A graph that does not end in MatMul → Softmax gives its single output as <c>embedding</c>.
/// </summary>
/// <remarks>
/// Activations are NCHW inside the ONNX graph: one Transpose follows the input, filters are
/// re-laid out once here (HWIO → OIHW; depthwise HW·C·M → (C·M)·1·H·W with group = C) and NHWC axes
/// in attributes are mapped. TF "SAME" padding becomes explicit pads (extra row/column at the
/// bottom/right, as TensorFlow pads) when the spatial size is static, else <c>auto_pad=SAME_UPPER</c>.
/// </remarks>
public static class TfjsToOnnxConverter
{
    public const string InputName = "input";
    public const string EmbeddingName = "embedding";
    public const string ProbsName = "probs";

    /// <summary>The TensorFlow ops the converter maps.</summary>
    public static IReadOnlyCollection<string> SupportedOps => GraphBuilder.SupportedOps;

    /// <summary>
    /// Reads the TF.js model in <paramref name="tfjsFolder"/> (<c>model.json</c> + shards, or the nsfwjs
    /// <c>model.min.js</c> bundle) and writes the ONNX model to <paramref name="onnxPath"/>. The file is
    /// written to a temporary name and moved into place when complete, so a failure leaves no partial
    /// file and an existing file untouched.
    /// </summary>
    /// <exception cref="TfjsImportException">The model is malformed or uses an op or form the converter does not support.</exception>
    /// <exception cref="IOException">The output could not be written.</exception>
    public static void Convert(string tfjsFolder, string onnxPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(tfjsFolder);
        ArgumentException.ThrowIfNullOrEmpty(onnxPath);
        TfjsGraphModel model = TfjsGraphModel.Load(tfjsFolder);
        OnnxModel onnx = ToOnnx(model);
        OnnxWriter.WriteFile(onnx, onnxPath);
    }

    internal static OnnxModel ToOnnx(TfjsGraphModel model) => new GraphBuilder(model).Build();

    /// <summary>Builds the ONNX graph for one model; single use.</summary>
    private sealed class GraphBuilder
    {
        public static readonly FrozenSet<string> SupportedOps = FrozenSet.Create(StringComparer.Ordinal,
            "Placeholder", "Const", "Identity", "Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative",
            "Add", "AddV2", "Sub", "Mul", "Relu", "Relu6", "AvgPool", "Squeeze", "MatMul", "_FusedMatMul", "Softmax");

        private static readonly FrozenSet<string> ReservedNames = FrozenSet.Create(StringComparer.Ordinal, InputName, EmbeddingName, ProbsName);
        private const string Relu6Min = "relu6:min", Relu6Max = "relu6:max";

        private readonly TfjsGraphModel _model;
        private readonly Dictionary<string, TfjsNode> _byName;
        private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _outputNames = new(StringComparer.Ordinal);
        private readonly List<OnnxNode> _nodes = [];
        private readonly List<OnnxTensor> _initializers = [];
        private readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);

        public GraphBuilder(TfjsGraphModel model)
        {
            _model = model;
            _byName = model.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        }

        private enum Activation
        {
            None,
            Relu,
            Relu6,
        }

        /// <summary>A computed tensor: its ONNX name and shape in ONNX layout (rank 4 is NCHW), -1 where unknown.</summary>
        private readonly record struct Value(string Name, long[] Shape)
        {
            public int Rank => Shape.Length;
        }

        public OnnxModel Build()
        {
            TfjsNode[] placeholders = _model.Nodes.Where(n => n.Op == "Placeholder").ToArray();
            if (placeholders.Length != 1)
                throw Fail($"the graph has {placeholders.Length} Placeholder inputs ({string.Join(", ", placeholders.Select(p => p.Name))}); the converter needs exactly one image input.");

            // The graph's result, and with it which tensors become 'embedding' and 'probs'.
            TfjsNode last = SkipIdentities(FindTerminal());
            TfjsNode embeddingNode = last;
            TfjsNode? probsNode = null;
            if (last.Op == "Softmax" && ProducerOf(last, 0) is { Op: "MatMul" or "_FusedMatMul" } head)
            {
                embeddingNode = ProducerOf(head, 0);
                probsNode = last;
            }
            if (embeddingNode.Op is "Const" or "Placeholder")
                throw Fail($"the embedding would be '{embeddingNode.Name}', a {embeddingNode.Op}; the graph computes nothing to import.");
            _outputNames[embeddingNode.Name] = EmbeddingName;
            if (probsNode is not null) _outputNames[probsNode.Name] = ProbsName;

            OnnxValueInfo input = DeclareInput(placeholders[0]);
            foreach (TfjsNode node in TopologicalOrder(last)) Emit(node);

            Value embedding = _values[embeddingNode.Name];
            if (embedding.Rank != 2)
                throw Fail($"the embedding ('{embeddingNode.Name}') has rank {embedding.Rank}; it must be [batch, features].");
            var outputs = new List<OnnxValueInfo> { Declare(embedding) };
            if (probsNode is not null) outputs.Add(Declare(_values[probsNode.Name]));

            string folder = Path.GetFileName(Path.GetDirectoryName(_model.ModelFile)) ?? "tfjs";
            string doc = $"Imported by ImageEmbed from the TensorFlow.js graph model '{folder}' ({Path.GetFileName(_model.ModelFile)}" +
                (_model.ConvertedBy is { } by ? $", {by}" : "") + ").";
            return new OnnxModel(new OnnxGraph(folder, _nodes, _initializers, [input], outputs), doc);
        }

        private OnnxValueInfo DeclareInput(TfjsNode placeholder)
        {
            string? dtype = placeholder.GetDataType("dtype");
            if (dtype is not null && dtype != "DT_FLOAT")
                throw Fail($"the input '{placeholder.Name}' is {dtype}; the converter needs a DT_FLOAT image input.");
            long[] shape = placeholder.GetShape("shape") ?? throw Fail($"the input '{placeholder.Name}' has no known shape; the converter needs [batch, height, width, channels].");
            if (shape.Length != 4)
                throw Fail($"the input '{placeholder.Name}' has shape [{string.Join(",", shape)}]; the converter needs a rank-4 NHWC image input.");

            const string nchw = InputName + ":nchw";
            _nodes.Add(new OnnxNode("Transpose", nchw, [InputName], [nchw], [OnnxAttribute.Ints("perm", 0, 3, 1, 2)]));
            _values[placeholder.Name] = new Value(nchw, [shape[0], shape[3], shape[1], shape[2]]);
            string[] names = ["N", "H", "W", "C"];
            return new OnnxValueInfo(InputName, OnnxDataType.Float, shape.Select((d, k) => d < 0 ? OnnxDim.Symbolic(names[k]) : OnnxDim.Fixed(d)).ToArray());
        }

        private static OnnxValueInfo Declare(Value value) =>
            new(value.Name, OnnxDataType.Float, value.Shape.Select((d, k) => d < 0 ? OnnxDim.Symbolic(k == 0 ? "N" : $"d{k}") : OnnxDim.Fixed(d)).ToArray());

        private void Emit(TfjsNode node)
        {
            switch (node.Op)
            {
                case "Placeholder": break; // declared up front
                case "Identity": _values[node.Name] = Input(node, 0); break;
                case "Conv2D" or "_FusedConv2D": EmitConv(node, depthwise: false); break;
                case "DepthwiseConv2dNative" or "FusedDepthwiseConv2dNative": EmitConv(node, depthwise: true); break;
                case "Add" or "AddV2" or "Sub" or "Mul": EmitBinary(node); break;
                case "Relu" or "Relu6":
                    Value x = Input(node, 0);
                    EmitActivation(node.Name, x.Name, node.Op == "Relu" ? Activation.Relu : Activation.Relu6, OutName(node));
                    _values[node.Name] = x with { Name = OutName(node) };
                    break;
                case "AvgPool": EmitAvgPool(node); break;
                case "Squeeze": EmitSqueeze(node); break;
                case "MatMul" or "_FusedMatMul": EmitGemm(node); break;
                case "Softmax": EmitSoftmax(node); break;
                default: throw Unsupported(node);
            }
        }

        private void EmitConv(TfjsNode node, bool depthwise)
        {
            Value x = Input(node, 0);
            RequireRank(node, x, 4);
            RequireNhwc(node);
            TfjsWeight w = Weight(node, 1, rank: 4);
            int kh = w.Shape[0], kw = w.Shape[1], ci = w.Shape[2], co = w.Shape[3];
            if (x.Shape[1] >= 0 && x.Shape[1] != ci)
                throw Fail($"node '{node.Name}' ({node.Op}): the filter takes {ci} channels but its input has {x.Shape[1]} (grouped convolution is not supported).");
            long[] strides = Spatial(node, "strides", required: true);
            long[] dilations = Spatial(node, "dilations", required: false);
            (bool bias, Activation activation) = Fusion(node);

            long outChannels = depthwise ? (long)ci * co : co;
            string filter = depthwise
                ? AddInitializer(w.Name + ":dw", [outChannels, 1, kh, kw], DepthwiseToOnnx(w.Floats.Span, kh, kw, ci, co))
                : AddInitializer(w.Name + ":oihw", [co, ci, kh, kw], HwioToOihw(w.Floats.Span, kh, kw, ci, co));
            var inputs = new List<string> { x.Name, filter };
            if (bias) inputs.Add(Bias(node, 2, outChannels));

            (OnnxAttribute padding, long height, long width) = Padding(node, x.Shape[2], x.Shape[3], [kh, kw], strides, dilations);
            string output = activation == Activation.None ? OutName(node) : OutName(node) + ":conv";
            _nodes.Add(new OnnxNode("Conv", node.Name, [.. inputs], [output],
            [
                OnnxAttribute.Ints("dilations", dilations),
                OnnxAttribute.Int("group", depthwise ? ci : 1),
                OnnxAttribute.Ints("kernel_shape", kh, kw),
                padding,
                OnnxAttribute.Ints("strides", strides),
            ]));
            if (activation != Activation.None) EmitActivation(node.Name + ":" + activation.ToString().ToLowerInvariant(), output, activation, OutName(node));
            _values[node.Name] = new Value(OutName(node), [x.Shape[0], outChannels, height, width]);
        }

        private void EmitBinary(TfjsNode node)
        {
            if (DataInputs(node).Length != 2) throw Fail($"node '{node.Name}' ({node.Op}) has {DataInputs(node).Length} inputs; expected 2.");
            bool aConst = ProducerOf(node, 0).Op == "Const", bConst = ProducerOf(node, 1).Op == "Const";
            if (aConst && bConst) throw Fail($"node '{node.Name}' ({node.Op}) combines two constants; constant folding is not supported.");

            Value a = aConst ? default : Input(node, 0), b = bConst ? default : Input(node, 1);
            long[] shape = aConst ? b.Shape : bConst ? a.Shape : Broadcast(node, a, b);
            string aName = aConst ? ConstantOperand(node, 0, b.Rank) : a.Name;
            string bName = bConst ? ConstantOperand(node, 1, a.Rank) : b.Name;
            string op = node.Op == "AddV2" ? "Add" : node.Op;
            _nodes.Add(new OnnxNode(op, node.Name, [aName, bName], [OutName(node)], []));
            _values[node.Name] = new Value(OutName(node), shape);
        }

        /// <summary>A constant operand of an element-wise op, laid out to broadcast against an activation of <paramref name="rank"/>.</summary>
        private string ConstantOperand(TfjsNode node, int index, int rank)
        {
            TfjsWeight w = Weight(node, index, rank: null);
            long[] dims = w.Shape.Select(d => (long)d).ToArray();
            if (w.Rank == 0 || rank != 4)
            {
                if (w.Rank > rank) throw Fail($"node '{node.Name}' ({node.Op}): constant '{w.Name}' has rank {w.Rank}, more than its rank-{rank} partner.");
                return AddInitializer(w.Name, dims, w.Floats);
            }
            // NHWC broadcasting puts a vector on the channel axis; NCHW needs it as [C,1,1].
            if (w.Rank == 1) return AddInitializer(w.Name + ":c11", [dims[0], 1, 1], w.Floats);
            if (w.Rank == 4)
            {
                int n = w.Shape[0], h = w.Shape[1], wd = w.Shape[2], c = w.Shape[3];
                ReadOnlySpan<float> data = w.Floats.Span;
                float[] nchw = new float[data.Length];
                for (int i = 0; i < n; i++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < wd; x++)
                            for (int k = 0; k < c; k++)
                                nchw[((i * c + k) * h + y) * wd + x] = data[((i * h + y) * wd + x) * c + k];
                return AddInitializer(w.Name + ":nchw", [n, c, h, wd], nchw);
            }
            throw Fail($"node '{node.Name}' ({node.Op}): a rank-{w.Rank} constant ('{w.Name}') against an image tensor is not supported.");
        }

        private void EmitAvgPool(TfjsNode node)
        {
            Value x = Input(node, 0);
            RequireRank(node, x, 4);
            RequireNhwc(node);
            long[] kernel = Spatial(node, "ksize", required: true);
            long[] strides = Spatial(node, "strides", required: true);
            long h = x.Shape[2], w = x.Shape[3];
            if (node.GetString("padding") == "VALID" && kernel[0] == h && kernel[1] == w)
            {
                // A window as large as the whole feature map is a global average.
                _nodes.Add(new OnnxNode("GlobalAveragePool", node.Name, [x.Name], [OutName(node)], []));
                _values[node.Name] = new Value(OutName(node), [x.Shape[0], x.Shape[1], 1, 1]);
                return;
            }
            // ONNX leaves padding out of the average by default (count_include_pad=0), as TensorFlow does.
            (OnnxAttribute padding, long oh, long ow) = Padding(node, h, w, [(int)kernel[0], (int)kernel[1]], strides, [1, 1]);
            _nodes.Add(new OnnxNode("AveragePool", node.Name, [x.Name], [OutName(node)],
                [OnnxAttribute.Ints("kernel_shape", kernel), padding, OnnxAttribute.Ints("strides", strides)]));
            _values[node.Name] = new Value(OutName(node), [x.Shape[0], x.Shape[1], oh, ow]);
        }

        private void EmitSqueeze(TfjsNode node)
        {
            Value x = Input(node, 0);
            long[] axes = node.GetInts("squeeze_dims") ?? node.GetInts("axis") ?? [];
            // Only the pooled-features case: NHWC [N,1,1,C] squeezed on its spatial axes (1, 2).
            long[] spatial = axes.Select(a => a < 0 ? a + 4 : a).Order().ToArray();
            if (x.Rank != 4 || spatial is not [1, 2])
                throw Fail($"node '{node.Name}' (Squeeze): squeezing axes [{string.Join(",", axes)}] of a rank-{x.Rank} tensor is not supported (only axes 1,2 of an NHWC [N,1,1,C] tensor).");
            long h = x.Shape[2], w = x.Shape[3];
            if (h > 1 || w > 1) throw Fail($"node '{node.Name}' (Squeeze): the spatial size is {h}x{w}, not 1x1.");
            if (h == 1 && w == 1)
            {
                _nodes.Add(new OnnxNode("Flatten", node.Name, [x.Name], [OutName(node)], [OnnxAttribute.Int("axis", 1)]));
            }
            else
            {
                string axesName = AddInitializer(node.Name + ":axes", [2], new long[] { 2, 3 });
                _nodes.Add(new OnnxNode("Squeeze", node.Name, [x.Name, axesName], [OutName(node)], []));
            }
            _values[node.Name] = new Value(OutName(node), [x.Shape[0], x.Shape[1]]);
        }

        private void EmitGemm(TfjsNode node)
        {
            Value x = Input(node, 0);
            RequireRank(node, x, 2);
            if (node.GetBool("transpose_a") == true) throw Fail($"node '{node.Name}' ({node.Op}): transpose_a is not supported.");
            if (ProducerOf(node, 1).Op != "Const") throw Fail($"node '{node.Name}' ({node.Op}): a product of two computed tensors is not supported.");
            bool transB = node.GetBool("transpose_b") ?? false;
            TfjsWeight b = Weight(node, 1, rank: 2);
            long k = transB ? b.Shape[1] : b.Shape[0], m = transB ? b.Shape[0] : b.Shape[1];
            if (x.Shape[1] >= 0 && x.Shape[1] != k)
                throw Fail($"node '{node.Name}' ({node.Op}): the weights take {k} features but the input has {x.Shape[1]}.");
            (bool bias, Activation activation) = Fusion(node);

            var inputs = new List<string> { x.Name, AddInitializer(b.Name, [b.Shape[0], b.Shape[1]], b.Floats) };
            if (bias) inputs.Add(Bias(node, 2, m));
            string output = activation == Activation.None ? OutName(node) : OutName(node) + ":gemm";
            _nodes.Add(new OnnxNode("Gemm", node.Name, [.. inputs], [output], transB ? [OnnxAttribute.Int("transB", 1)] : []));
            if (activation != Activation.None) EmitActivation(node.Name + ":" + activation.ToString().ToLowerInvariant(), output, activation, OutName(node));
            _values[node.Name] = new Value(OutName(node), [x.Shape[0], m]);
        }

        private void EmitSoftmax(TfjsNode node)
        {
            Value x = Input(node, 0);
            if (x.Rank == 0) throw Fail($"node '{node.Name}' (Softmax): the input is a scalar.");
            // TensorFlow normalizes over the last axis; an NHWC channel axis is axis 1 in NCHW.
            long axis = x.Rank == 4 ? 1 : x.Rank - 1;
            _nodes.Add(new OnnxNode("Softmax", node.Name, [x.Name], [OutName(node)], [OnnxAttribute.Int("axis", axis)]));
            _values[node.Name] = x with { Name = OutName(node) };
        }

        private void EmitActivation(string nodeName, string input, Activation activation, string output)
        {
            if (activation == Activation.Relu)
            {
                _nodes.Add(new OnnxNode("Relu", nodeName, [input], [output], []));
                return;
            }
            // Relu6 is Clip(0, 6); opset 13 takes the bounds as inputs, shared by every Clip.
            AddInitializer(Relu6Min, [], new[] { 0f });
            AddInitializer(Relu6Max, [], new[] { 6f });
            _nodes.Add(new OnnxNode("Clip", nodeName, [input, Relu6Min, Relu6Max], [output], []));
        }

        /// <summary>What a fused op folds in after its main computation: a bias, then optionally Relu or Relu6.</summary>
        private (bool Bias, Activation Activation) Fusion(TfjsNode node)
        {
            if (node.Op is not ("_FusedConv2D" or "FusedDepthwiseConv2dNative" or "_FusedMatMul")) return (false, Activation.None);
            string[] fused = node.GetStrings("fused_ops") ?? [];
            (bool bias, Activation activation) = fused switch
            {
                [] => (false, Activation.None),
                ["BiasAdd"] => (true, Activation.None),
                ["BiasAdd", "Relu"] => (true, Activation.Relu),
                ["BiasAdd", "Relu6"] => (true, Activation.Relu6),
                _ => throw Fail($"node '{node.Name}' ({node.Op}) fuses [{string.Join(", ", fused)}]; only BiasAdd, optionally followed by Relu or Relu6, is supported."),
            };
            if (bias && (node.GetInt("num_args") is not (null or 1) || DataInputs(node).Length < 3))
                throw Fail($"node '{node.Name}' ({node.Op}): BiasAdd needs exactly one extra argument (num_args = 1).");
            return (bias, activation);
        }

        private string Bias(TfjsNode node, int index, long length)
        {
            TfjsWeight bias = Weight(node, index, rank: 1);
            if (bias.Shape[0] != length) throw Fail($"node '{node.Name}' ({node.Op}): the bias '{bias.Name}' has {bias.Shape[0]} values; expected {length}.");
            return AddInitializer(bias.Name, [length], bias.Floats);
        }

        /// <summary>ONNX padding for a TF padding mode, and the output height and width (-1 when unknown).</summary>
        private (OnnxAttribute Padding, long Height, long Width) Padding(TfjsNode node, long height, long width, int[] kernel, long[] strides, long[] dilations)
        {
            string mode = node.GetString("padding") ?? throw Fail($"node '{node.Name}' ({node.Op}) has no padding attribute.");
            long[] extent = [(kernel[0] - 1) * dilations[0] + 1, (kernel[1] - 1) * dilations[1] + 1];
            long[] size = [height, width];
            long[] output = new long[2];
            long[] pads = new long[4]; // [top, left, bottom, right]
            switch (mode)
            {
                case "VALID":
                    for (int d = 0; d < 2; d++)
                    {
                        if (size[d] >= 0 && size[d] < extent[d]) throw Fail($"node '{node.Name}' ({node.Op}): a {extent[d]}-wide window does not fit in size {size[d]}.");
                        output[d] = size[d] < 0 ? -1 : (size[d] - extent[d]) / strides[d] + 1;
                    }
                    break;
                case "SAME":
                    if (height < 0 || width < 0)
                        return (OnnxAttribute.String("auto_pad", "SAME_UPPER"), height < 0 ? -1 : Ceiling(height, strides[0]), width < 0 ? -1 : Ceiling(width, strides[1]));
                    for (int d = 0; d < 2; d++)
                    {
                        // TensorFlow: out = ceil(in / stride), the odd padded pixel goes after (bottom/right).
                        output[d] = Ceiling(size[d], strides[d]);
                        long total = Math.Max((output[d] - 1) * strides[d] + extent[d] - size[d], 0);
                        pads[d] = total / 2;
                        pads[d + 2] = total - total / 2;
                    }
                    break;
                case "EXPLICIT":
                    long[] explicitPads = node.GetInts("explicit_paddings") ?? [];
                    if (explicitPads.Length != 8 || explicitPads[0] != 0 || explicitPads[1] != 0 || explicitPads[6] != 0 || explicitPads[7] != 0)
                        throw Fail($"node '{node.Name}' ({node.Op}): explicit_paddings [{string.Join(",", explicitPads)}] is not an NHWC list padding only height and width.");
                    pads = [explicitPads[2], explicitPads[4], explicitPads[3], explicitPads[5]];
                    for (int d = 0; d < 2; d++)
                        output[d] = size[d] < 0 ? -1 : (size[d] + pads[d] + pads[d + 2] - extent[d]) / strides[d] + 1;
                    break;
                default:
                    throw Fail($"node '{node.Name}' ({node.Op}): padding '{mode}' is not supported (SAME, VALID, EXPLICIT).");
            }
            return (OnnxAttribute.Ints("pads", pads), output[0], output[1]);
        }

        private static long Ceiling(long value, long divisor) => (value + divisor - 1) / divisor;

        /// <summary>The height and width entries of an NHWC list attribute (strides, dilations, ksize).</summary>
        private long[] Spatial(TfjsNode node, string attribute, bool required)
        {
            long[]? list = node.GetInts(attribute);
            if (list is null && !required) return [1, 1];
            if (list is not [1, > 0, > 0, 1])
                throw Fail($"node '{node.Name}' ({node.Op}): {attribute} [{string.Join(",", list ?? [])}] must be [1, height, width, 1].");
            return [list[1], list[2]];
        }

        private void RequireNhwc(TfjsNode node)
        {
            string format = node.GetString("data_format") ?? "NHWC";
            if (format != "NHWC") throw Fail($"node '{node.Name}' ({node.Op}): data_format {format} is not supported (NHWC only).");
        }

        private void RequireRank(TfjsNode node, Value value, int rank)
        {
            if (value.Rank != rank) throw Fail($"node '{node.Name}' ({node.Op}): the input has rank {value.Rank}; expected {rank}.");
        }

        private long[] Broadcast(TfjsNode node, Value a, Value b)
        {
            if (a.Rank != b.Rank) throw Fail($"node '{node.Name}' ({node.Op}): broadcasting rank {a.Rank} against rank {b.Rank} is not supported.");
            long[] shape = new long[a.Rank];
            for (int d = 0; d < shape.Length; d++)
            {
                long x = a.Shape[d], y = b.Shape[d];
                shape[d] = x == y ? x : x == 1 ? y : y == 1 ? x : x < 0 ? y : y < 0 ? x
                    : throw Fail($"node '{node.Name}' ({node.Op}): shapes [{string.Join(",", a.Shape)}] and [{string.Join(",", b.Shape)}] do not broadcast.");
            }
            return shape;
        }

        private string AddInitializer(string name, long[] dims, ReadOnlyMemory<float> data)
        {
            if (_initializerNames.Add(name)) _initializers.Add(OnnxTensor.Float(name, dims, data));
            return name;
        }

        private string AddInitializer(string name, long[] dims, long[] data)
        {
            if (_initializerNames.Add(name)) _initializers.Add(OnnxTensor.Int64(name, dims, data));
            return name;
        }

        // TF filter [kh, kw, in, out] → ONNX [out, in, kh, kw].
        private static float[] HwioToOihw(ReadOnlySpan<float> src, int kh, int kw, int ci, int co)
        {
            float[] dst = new float[src.Length];
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    for (int i = 0; i < ci; i++)
                        for (int o = 0; o < co; o++)
                            dst[((o * ci + i) * kh + y) * kw + x] = src[((y * kw + x) * ci + i) * co + o];
            return dst;
        }

        // TF depthwise filter [kh, kw, channels, multiplier] → ONNX [channels·multiplier, 1, kh, kw];
        // output channel c·multiplier + m reads input channel c, in both.
        private static float[] DepthwiseToOnnx(ReadOnlySpan<float> src, int kh, int kw, int channels, int multiplier)
        {
            float[] dst = new float[src.Length];
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    for (int c = 0; c < channels; c++)
                        for (int m = 0; m < multiplier; m++)
                            dst[((c * multiplier + m) * kh + y) * kw + x] = src[((y * kw + x) * channels + c) * multiplier + m];
            return dst;
        }

        // ---- graph walking ----

        /// <summary>The one node whose result nothing consumes: the model's output.</summary>
        private TfjsNode FindTerminal()
        {
            var consumed = new HashSet<string>(StringComparer.Ordinal);
            foreach (TfjsNode node in _model.Nodes)
                foreach (string input in node.Inputs)
                    consumed.Add(ParseReference(node, input).Name);
            TfjsNode[] terminals = _model.Nodes.Where(n => n.Op is not ("Const" or "Placeholder" or "NoOp") && !consumed.Contains(n.Name)).ToArray();
            return terminals.Length == 1
                ? terminals[0]
                : throw Fail($"the graph has {terminals.Length} outputs ({string.Join(", ", terminals.Take(5).Select(t => $"'{t.Name}'"))}); the converter needs exactly one.");
        }

        /// <summary>Nodes that <paramref name="root"/> depends on, producers first (Const nodes left out: they become initializers).</summary>
        private List<TfjsNode> TopologicalOrder(TfjsNode root)
        {
            var order = new List<TfjsNode>();
            var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the stack, true: done
            var stack = new Stack<(TfjsNode Node, int Next)>();
            stack.Push((root, 0));
            state[root.Name] = false;
            while (stack.Count > 0)
            {
                (TfjsNode node, int next) = stack.Pop();
                string[] inputs = DataInputs(node);
                if (next == inputs.Length)
                {
                    state[node.Name] = true;
                    order.Add(node);
                    continue;
                }
                stack.Push((node, next + 1));
                TfjsNode producer = NodeNamed(node, ParseReference(node, inputs[next]).Name);
                if (producer.Op == "Const") continue;
                if (!state.TryGetValue(producer.Name, out bool done))
                {
                    state[producer.Name] = false;
                    stack.Push((producer, 0));
                }
                else if (!done)
                {
                    throw Fail($"the graph has a cycle through node '{producer.Name}'.");
                }
            }
            return order;
        }

        private static string[] DataInputs(TfjsNode node) => node.Inputs.Where(i => !i.StartsWith('^')).ToArray();

        private (string Name, int Index) ParseReference(TfjsNode node, string reference)
        {
            string name = reference.StartsWith('^') ? reference[1..] : reference;
            int colon = name.LastIndexOf(':');
            if (colon < 0 || !int.TryParse(name.AsSpan(colon + 1), out int index)) return (name, 0);
            if (index != 0 && !reference.StartsWith('^'))
                throw Fail($"node '{node.Name}' ({node.Op}) reads output {index} of '{name[..colon]}'; only single-output ops are supported.");
            return (name[..colon], index);
        }

        private TfjsNode NodeNamed(TfjsNode consumer, string name) =>
            _byName.TryGetValue(name, out TfjsNode? node) ? node : throw Fail($"node '{consumer.Name}' ({consumer.Op}) reads '{name}', which is not a node of the graph.");

        /// <summary>The node producing data input <paramref name="index"/> of <paramref name="node"/>, looking through Identity.</summary>
        private TfjsNode ProducerOf(TfjsNode node, int index)
        {
            string[] inputs = DataInputs(node);
            if (index >= inputs.Length) throw Fail($"node '{node.Name}' ({node.Op}) has {inputs.Length} inputs; it needs at least {index + 1}.");
            return SkipIdentities(NodeNamed(node, ParseReference(node, inputs[index]).Name));
        }

        private TfjsNode SkipIdentities(TfjsNode node)
        {
            for (int hops = 0; node.Op == "Identity"; hops++)
            {
                if (hops > _byName.Count) throw Fail($"the graph has a cycle of Identity nodes through '{node.Name}'.");
                node = ProducerOf(node, 0);
            }
            return node;
        }

        /// <summary>The computed tensor feeding data input <paramref name="index"/>.</summary>
        private Value Input(TfjsNode node, int index)
        {
            TfjsNode producer = ProducerOf(node, index);
            if (producer.Op == "Const") throw Fail($"node '{node.Name}' ({node.Op}): input {index} is the constant '{producer.Name}'; a computed tensor is expected there.");
            return _values.TryGetValue(producer.Name, out Value value)
                ? value
                : throw new InvalidOperationException($"'{producer.Name}' was not converted before '{node.Name}'.");
        }

        /// <summary>The float32 weight feeding data input <paramref name="index"/>, which must be a Const.</summary>
        private TfjsWeight Weight(TfjsNode node, int index, int? rank)
        {
            TfjsNode producer = ProducerOf(node, index);
            if (producer.Op != "Const")
                throw Fail($"node '{node.Name}' ({node.Op}): input {index} ('{producer.Name}', a {producer.Op}) must be a constant; weights computed in the graph are not supported.");
            TfjsWeight weight = _model.Weights[producer.Name]; // Load checked that every Const has one
            if (weight.DataType != TfjsDataType.Float32) throw Fail($"node '{node.Name}' ({node.Op}): weight '{weight.Name}' is {weight.DataType}; float32 is expected.");
            if (rank is int r && weight.Rank != r) throw Fail($"node '{node.Name}' ({node.Op}): weight '{weight.Name}' has shape [{string.Join(",", weight.Shape)}]; rank {r} is expected.");
            return weight;
        }

        private string OutName(TfjsNode node) =>
            _outputNames.TryGetValue(node.Name, out string? name) ? name : ReservedNames.Contains(node.Name) ? node.Name + ":tf" : node.Name;

        private TfjsImportException Unsupported(TfjsNode node) =>
            Fail($"node '{node.Name}' uses op '{node.Op}', which the ONNX converter does not support (supported: {string.Join(", ", SupportedOps.Order(StringComparer.Ordinal))}).");

        private TfjsImportException Fail(string problem) => new($"{_model.ModelFile}: {problem}");
    }
}
