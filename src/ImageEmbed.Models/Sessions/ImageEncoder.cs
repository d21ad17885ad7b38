using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ImageEmbed.Models.Sessions;

/// <summary>
/// A model's image tower: one ONNX Runtime session, checked against the manifest when opened.
/// <see cref="Encode"/> is thread-safe.
/// </summary>
public sealed class ImageEncoder : IDisposable
{
    private readonly OrtSession _session;
    private readonly string[] _outputNames;

    /// <exception cref="ModelLoadException">The files are missing or damaged, or the graph does not match the manifest.</exception>
    public ImageEncoder(InstalledModel model, OrtSessionSettings settings, bool verifyChecksums = true)
    {
        Model = model;
        model.VerifyFiles(verifyChecksums);
        try
        {
            _session = new OrtSession(model.ImageEncoderPath, settings);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"Model '{model.Name}': ONNX Runtime could not load {model.ImageEncoderPath}: {e.Message}", e);
        }
        try
        {
            CheckGraph();
        }
        catch
        {
            _session.Dispose();
            throw;
        }
        _outputNames = [model.Manifest.Image.Output];
    }

    public InstalledModel Model { get; }
    public int Dimensions => Model.Manifest.Dimensions;
    public ImagePreprocessing Preprocessing => Model.Manifest.Image.Preprocessing;

    /// <summary>
    /// Runs <paramref name="count"/> preprocessed images (rows of <paramref name="batch"/>, each
    /// <see cref="ImagePreprocessing.TensorLength"/> floats) and writes their L2-normalized embeddings,
    /// row after row, into <paramref name="destination"/>.
    /// </summary>
    public void Encode(Memory<float> batch, int count, Span<float> destination, CancellationToken cancellationToken = default)
    {
        ImagePreprocessing p = Preprocessing;
        int rowLength = p.TensorLength;
        if (count < 1 || batch.Length < count * rowLength) throw new ArgumentException($"Batch holds {batch.Length} floats; {count} image(s) need {count * rowLength}.", nameof(batch));
        if (destination.Length < count * Dimensions) throw new ArgumentException($"Destination holds {destination.Length} floats; {count} embedding(s) need {count * Dimensions}.", nameof(destination));

        long[] shape = p.Layout == TensorLayout.Nhwc ? [count, p.Height, p.Width, 3] : [count, 3, p.Height, p.Width];
        OrtInput[] inputs = [OrtInput.Float(Model.Manifest.Image.Input, batch[..(count * rowLength)], shape)];
        using OrtOutputs outputs = _session.Run(inputs, _outputNames, cancellationToken);
        OrtTensor output = outputs[0];
        ReadOnlySpan<float> values = output.AsFloats();
        if (values.Length != count * Dimensions)
            throw new ModelLoadException($"Model '{Model.Name}' returned {values.Length} values for {count} image(s); expected {count}x{Dimensions}.");
        values.CopyTo(destination);
        for (int i = 0; i < count; i++) VectorMath.Normalize(destination.Slice(i * Dimensions, Dimensions));
    }

    public void Dispose() => _session.Dispose();

    private void CheckGraph()
    {
        ImageEncoderSpec spec = Model.Manifest.Image;
        ImagePreprocessing p = spec.Preprocessing;
        OrtTensorInfo input = _session.Inputs.FirstOrDefault(i => i.Name == spec.Input)
            ?? throw new ModelLoadException($"Model '{Model.Name}': the graph has no input '{spec.Input}' (it has {string.Join(", ", _session.Inputs)}).");
        if (_session.Inputs.Count != 1)
            throw new ModelLoadException($"Model '{Model.Name}': an image encoder must take exactly one input; the graph takes {string.Join(", ", _session.Inputs)}.");
        long[] expected = p.Layout == TensorLayout.Nhwc ? [-1, p.Height, p.Width, 3] : [-1, 3, p.Height, p.Width];
        bool shapeOk = input.ElementType == TensorElementType.Float && input.Shape.Length == 4;
        for (int d = 1; shapeOk && d < 4; d++) shapeOk = input.Shape[d] < 0 || input.Shape[d] == expected[d];
        if (!shapeOk)
            throw new ModelLoadException($"Model '{Model.Name}': input {input} does not match the manifest's {p.Layout} float[?,{string.Join(",", expected[1..])}].");

        OrtTensorInfo output = _session.Outputs.FirstOrDefault(o => o.Name == spec.Output)
            ?? throw new ModelLoadException($"Model '{Model.Name}': the graph has no output '{spec.Output}' (it has {string.Join(", ", _session.Outputs)}).");
        long last = output.Shape.Length > 0 ? output.Shape[^1] : 0;
        if (output.ElementType != TensorElementType.Float || output.Shape.Length != 2 || (last >= 0 && last != Model.Manifest.Dimensions))
            throw new ModelLoadException($"Model '{Model.Name}': output {output} is not float[?,{Model.Manifest.Dimensions}] as the manifest says.");
    }
}
