namespace ImageEmbed.Native.Onnx;

/// <summary><c>OrtErrorCode</c> values.</summary>
public enum OrtErrorCode
{
    Ok = 0, Fail = 1, InvalidArgument = 2, NoSuchFile = 3, NoModel = 4, EngineError = 5,
    RuntimeException = 6, InvalidProtobuf = 7, ModelLoaded = 8, NotImplemented = 9, InvalidGraph = 10, EpFail = 11,
}

/// <summary><c>ONNXTensorElementDataType</c> values.</summary>
public enum OrtElementType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7,
    String = 8, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
}

/// <summary><c>GraphOptimizationLevel</c> values.</summary>
public enum OrtGraphOptimizationLevel { DisableAll = 0, Basic = 1, Extended = 2, All = 99 }
