using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Embeddings;
using ImageEmbed.Models.Tokenizers;
using ImageEmbed.Models.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ImageEmbed.Models.Sessions;

/// <summary>
/// A CLIP-family model's text tower: its tokenizer and one ONNX Runtime session. Every text is padded
/// to the manifest's fixed context length, so the session only ever sees one sequence length (varying
/// shapes make ONNX Runtime keep a memory plan per shape). <see cref="Encode"/> is thread-safe.
/// </summary>
public sealed class TextEncoder : IDisposable
{
    private readonly OrtSession _session;
    private readonly ITextTokenizer _tokenizer;
    private readonly TextEncoderSpec _spec;
    private readonly string[] _outputNames;

    /// <exception cref="ModelLoadException">The tokenizer or the graph does not match the manifest.</exception>
    public TextEncoder(InstalledModel model, OrtSessionSettings settings)
    {
        _spec = model.Manifest.Text ?? throw new ArgumentException($"Model '{model.Name}' has no text tower.", nameof(model));
        Model = model;
        try
        {
            _tokenizer = TextTokenizers.Load(Path.Combine(model.Directory, _spec.Tokenizer), _spec.TokenizerType);
        }
        catch (Exception e) when (e is TokenizerException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelLoadException($"Model '{model.Name}': its tokenizer could not be loaded: {e.Message}", e);
        }
        try
        {
            _session = new OrtSession(model.TextEncoderPath!, settings);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"Model '{model.Name}': ONNX Runtime could not load {model.TextEncoderPath}: {e.Message}", e);
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
        _outputNames = [_spec.Output];
    }

    public InstalledModel Model { get; }
    public int Dimensions => Model.Manifest.Dimensions;
    public TextEncoderSpec Spec => _spec;

    /// <summary>Token ids of <paramref name="text"/> with the model's special tokens, untruncated (for counting and debugging).</summary>
    public int[] Tokenize(string text) => _tokenizer.Encode(text);

    /// <summary>Embeds <paramref name="texts"/> in one run; L2-normalized rows in input order.</summary>
    /// <param name="tokens">Real tokens (BOS and EOS included, padding not) over all texts, after truncation.</param>
    public float[][] Encode(IReadOnlyList<string> texts, out int tokens, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(texts.Count);
        int n = texts.Count, context = _spec.ContextLength;
        long[] ids = new long[n * context];
        long[] mask = new long[n * context];
        tokens = 0;
        for (int i = 0; i < n; i++)
            tokens += _tokenizer.Encode(texts[i], context, ids.AsSpan(i * context, context), mask.AsSpan(i * context, context));

        OrtInput[] inputs = _spec.AttentionMask is { } maskName
            ? [OrtInput.Int64(_spec.InputIds, ids, n, context), OrtInput.Int64(maskName, mask, n, context)]
            : [OrtInput.Int64(_spec.InputIds, ids, n, context)];
        using OrtOutputs outputs = _session.Run(inputs, _outputNames, cancellationToken);
        ReadOnlySpan<float> values = outputs[0].AsFloats();
        if (values.Length != n * Dimensions)
            throw new ModelLoadException($"Model '{Model.Name}': the text tower returned {values.Length} values for {n} text(s); expected {n}x{Dimensions}.");
        var result = new float[n][];
        for (int i = 0; i < n; i++)
        {
            result[i] = values.Slice(i * Dimensions, Dimensions).ToArray();
            VectorMath.Normalize(result[i]);
        }
        return result;
    }

    public void Dispose() => _session.Dispose();

    private void CheckGraph()
    {
        int expectedInputs = _spec.AttentionMask is null ? 1 : 2;
        if (_session.Inputs.Count != expectedInputs)
            throw new ModelLoadException($"Model '{Model.Name}': the text tower takes {string.Join(", ", _session.Inputs)}; the manifest names {expectedInputs} input(s).");
        foreach (string name in new[] { _spec.InputIds, _spec.AttentionMask }.OfType<string>())
        {
            OrtTensorInfo input = _session.Inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new ModelLoadException($"Model '{Model.Name}': the text tower has no input '{name}' (it has {string.Join(", ", _session.Inputs)}).");
            if (input.ElementType != TensorElementType.Int64 || input.Shape.Length != 2 || (input.Shape[1] >= 0 && input.Shape[1] != _spec.ContextLength))
                throw new ModelLoadException($"Model '{Model.Name}': text input {input} is not int64[?,{_spec.ContextLength}].");
        }
        OrtTensorInfo output = _session.Outputs.FirstOrDefault(o => o.Name == _spec.Output)
            ?? throw new ModelLoadException($"Model '{Model.Name}': the text tower has no output '{_spec.Output}' (it has {string.Join(", ", _session.Outputs)}).");
        if (output.ElementType != TensorElementType.Float || output.Shape.Length != 2 || (output.Shape[1] >= 0 && output.Shape[1] != Dimensions))
            throw new ModelLoadException($"Model '{Model.Name}': text output {output} is not float[?,{Dimensions}] as the manifest says.");
    }
}
