namespace ImageEmbed.ModelTools.Quantization;

/// <summary>A model that cannot be quantized (malformed, external data, too old an opset); the message says why and what to do.</summary>
public sealed class QuantizationException(string message) : Exception(message);
