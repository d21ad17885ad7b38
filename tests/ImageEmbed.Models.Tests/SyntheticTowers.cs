using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.Tests;

/// <summary>
/// Small ONNX towers with an export's tensor names and shapes (no real weights can be fetched here): seeded random
/// projections, written by the project's own ONNX writer. SyntheticClip and SyntheticSiglip are made of them.
/// </summary>
internal static class SyntheticTowers
{
    // pixel_values → AveragePool 56x56 (a 4x4 grid per channel) → Flatten [N,48] → Gemm → OUTPUT [N,D]
    public static OnnxModel Vision(string name, string output, int dimensions, Random rng)
    {
        float[] w = Random(rng, 48 * dimensions), b = Random(rng, dimensions);
        OnnxDim[] pixels = [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(3), OnnxDim.Fixed(224), OnnxDim.Fixed(224)];
        return new OnnxModel(new OnnxGraph(name,
            [
                new OnnxNode("AveragePool", "pool", ["pixel_values"], ["pooled"], [OnnxAttribute.Ints("kernel_shape", 56, 56), OnnxAttribute.Ints("strides", 56, 56)]),
                new OnnxNode("Flatten", "flatten", ["pooled"], ["flat"], [OnnxAttribute.Int("axis", 1)]),
                new OnnxNode("Gemm", "projection", ["flat", "w", "b"], [output], []),
            ],
            [OnnxTensor.Float("w", [48, dimensions], w), OnnxTensor.Float("b", [dimensions], b)],
            [new OnnxValueInfo("pixel_values", OnnxDataType.Float, pixels)],
            [new OnnxValueInfo(output, OnnxDataType.Float, [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(dimensions)])]), name + " (tests)");
    }

    // input_ids int64 [N,L] → Cast float → Gemm → OUTPUT [N,D]; the sequence axis fixed at L, or symbolic as in CLIP's exports.
    public static OnnxModel Text(string name, string output, int dimensions, int context, Random rng, bool fixedLength = true)
    {
        float[] w = Random(rng, context * dimensions), b = Random(rng, dimensions);
        return new OnnxModel(new OnnxGraph(name,
            [
                new OnnxNode("Cast", "cast", ["input_ids"], ["ids_float"], [OnnxAttribute.Int("to", (long)OnnxDataType.Float)]),
                new OnnxNode("Gemm", "projection", ["ids_float", "w", "b"], [output], []),
            ],
            [OnnxTensor.Float("w", [context, dimensions], w), OnnxTensor.Float("b", [dimensions], b)],
            [new OnnxValueInfo("input_ids", OnnxDataType.Int64, [OnnxDim.Symbolic("batch_size"), fixedLength ? OnnxDim.Fixed(context) : OnnxDim.Symbolic("sequence_length")])],
            [new OnnxValueInfo(output, OnnxDataType.Float, [OnnxDim.Symbolic("batch_size"), OnnxDim.Fixed(dimensions)])]), name + " (tests)");
    }

    public static byte[] Serialize(OnnxModel model)
    {
        using var stream = new MemoryStream();
        OnnxWriter.Write(model, stream);
        return stream.ToArray();
    }

    private static float[] Random(Random rng, int count)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
        return values;
    }
}
