using ImageEmbed.ModelTools.Import;
using ImageEmbed.Models.Onnx;

namespace ImageEmbed.Models.Tests;

/// <summary>
/// Int8 initializers (the bench's quantized ViT) written by our ONNX writer are read by ONNX Runtime as
/// the same integers: the dynamic-quantization pattern gives the float product within quantization error.
/// </summary>
public sealed class OnnxInt8Tests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"imageembed-int8-{Guid.NewGuid():N}.onnx");

    [Fact]
    public void Int8Weights_ThroughDynamicQuantization_GiveTheFloatProduct()
    {
        float[] w = [0.50f, -0.25f, 1.00f, 0.75f, -1.00f, 0.10f, 0.30f, -0.60f]; // [4, 2]
        float step = 1f / 127f; // max |w| = 1
        sbyte[] q = w.Select(v => (sbyte)MathF.Round(v / step)).ToArray();
        var model = new OnnxModel(new OnnxGraph("int8_matmul",
            [
                new OnnxNode("DynamicQuantizeLinear", "dql", ["x"], ["xq", "xs", "xz"], []),
                new OnnxNode("MatMulInteger", "mmi", ["xq", "w", "xz"], ["product"], []),
                new OnnxNode("Cast", "cast", ["product"], ["product_float"], [OnnxAttribute.Int("to", (long)OnnxDataType.Float)]),
                new OnnxNode("Mul", "scale", ["xs", "w_scale"], ["rescale"], []),
                new OnnxNode("Mul", "y", ["product_float", "rescale"], ["y"], []),
            ],
            [OnnxTensor.Int8("w", [4, 2], q), OnnxTensor.Float("w_scale", [], new[] { step })],
            [new OnnxValueInfo("x", OnnxDataType.Float, [OnnxDim.Fixed(1), OnnxDim.Fixed(4)])],
            [new OnnxValueInfo("y", OnnxDataType.Float, [OnnxDim.Fixed(1), OnnxDim.Fixed(2)])]), "int8 test") { OpsetVersion = 17 };
        OnnxWriter.WriteFile(model, _path);

        float[] x = [0.2f, -0.4f, 0.9f, 0.1f];
        using var session = new OrtSession(_path);
        using OrtOutputs outputs = session.Run([OrtInput.Float("x", x, 1, 4)], ["y"]);
        ReadOnlySpan<float> y = outputs[0].AsFloats();
        for (int j = 0; j < 2; j++)
        {
            float expected = 0;
            for (int i = 0; i < 4; i++) expected += x[i] * w[i * 2 + j];
            Assert.InRange(y[j], expected - 0.02f, expected + 0.02f);
        }
    }

    public void Dispose() => File.Delete(_path);
}
