namespace ImageEmbed.Native.Onnx;

/// <summary>An ONNX Runtime call failed; the message is ONNX Runtime's own, prefixed with its error code.</summary>
public sealed class OrtException(OrtErrorCode code, string message) : Exception($"[ErrorCode:{code}] {message}")
{
    public OrtErrorCode Code { get; } = code;
}
