namespace ImageEmbed.Native.Onnx;

/// <summary>
/// The <c>OrtApi</c> function table of <c>onnxruntime_c_api.h</c>, up to <c>AddSessionConfigEntry</c> (index 130, API version 4 and later).
/// The field order must stay exactly the header's order: the table is read by position. Entries
/// ImageEmbed does not call are plain <c>nint</c> placeholders that keep the positions right.
/// Functions returning <c>nint</c> return an <c>OrtStatus*</c>: NULL is success, anything else goes
/// through <see cref="OrtStatus.Check"/>.
/// </summary>
internal unsafe struct OrtApi
{
    public nint CreateStatus; // 0
    public delegate* unmanaged<nint, OrtErrorCode> GetErrorCode; // 1
    public delegate* unmanaged<nint, byte*> GetErrorMessage; // 2
    public delegate* unmanaged<int, byte*, nint*, nint> CreateEnv; // 3
    public nint CreateEnvWithCustomLogger; // 4
    public nint EnableTelemetryEvents; // 5
    public delegate* unmanaged<nint, nint> DisableTelemetryEvents; // 6
    public delegate* unmanaged<nint, byte*, nint, nint*, nint> CreateSession; // 7
    public nint CreateSessionFromArray; // 8
    public delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run; // 9
    public delegate* unmanaged<nint*, nint> CreateSessionOptions; // 10
    public nint SetOptimizedModelFilePath; // 11
    public nint CloneSessionOptions; // 12
    public delegate* unmanaged<nint, int, nint> SetSessionExecutionMode; // 13
    public nint EnableProfiling; // 14
    public nint DisableProfiling; // 15
    public nint EnableMemPattern; // 16
    public nint DisableMemPattern; // 17
    public delegate* unmanaged<nint, nint> EnableCpuMemArena; // 18
    public delegate* unmanaged<nint, nint> DisableCpuMemArena; // 19
    public nint SetSessionLogId; // 20
    public nint SetSessionLogVerbosityLevel; // 21
    public nint SetSessionLogSeverityLevel; // 22
    public delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel; // 23
    public delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads; // 24
    public delegate* unmanaged<nint, int, nint> SetInterOpNumThreads; // 25
    public nint CreateCustomOpDomain; // 26
    public nint CustomOpDomain_Add; // 27
    public nint AddCustomOpDomain; // 28
    public nint RegisterCustomOpsLibrary; // 29
    public delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount; // 30
    public delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount; // 31
    public nint SessionGetOverridableInitializerCount; // 32
    public delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo; // 33
    public delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo; // 34
    public nint SessionGetOverridableInitializerTypeInfo; // 35
    public delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName; // 36
    public delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName; // 37
    public nint SessionGetOverridableInitializerName; // 38
    public delegate* unmanaged<nint*, nint> CreateRunOptions; // 39
    public nint RunOptionsSetRunLogVerbosityLevel; // 40
    public nint RunOptionsSetRunLogSeverityLevel; // 41
    public nint RunOptionsSetRunTag; // 42
    public nint RunOptionsGetRunLogVerbosityLevel; // 43
    public nint RunOptionsGetRunLogSeverityLevel; // 44
    public nint RunOptionsGetRunTag; // 45
    public delegate* unmanaged<nint, nint> RunOptionsSetTerminate; // 46
    public nint RunOptionsUnsetTerminate; // 47
    public nint CreateTensorAsOrtValue; // 48
    public delegate* unmanaged<nint, void*, nuint, long*, nuint, OrtElementType, nint*, nint> CreateTensorWithDataAsOrtValue; // 49
    public nint IsTensor; // 50
    public delegate* unmanaged<nint, void**, nint> GetTensorMutableData; // 51
    public nint FillStringTensor; // 52
    public nint GetStringTensorDataLength; // 53
    public nint GetStringTensorContent; // 54
    public delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo; // 55
    public nint GetOnnxTypeFromTypeInfo; // 56
    public nint CreateTensorTypeAndShapeInfo; // 57
    public nint SetTensorElementType; // 58
    public nint SetDimensions; // 59
    public delegate* unmanaged<nint, OrtElementType*, nint> GetTensorElementType; // 60
    public delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount; // 61
    public delegate* unmanaged<nint, long*, nuint, nint> GetDimensions; // 62
    public nint GetSymbolicDimensions; // 63
    public nint GetTensorShapeElementCount; // 64
    public delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape; // 65
    public nint GetTypeInfo; // 66
    public nint GetValueType; // 67
    public nint CreateMemoryInfo; // 68
    public delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo; // 69
    public nint CompareMemoryInfo; // 70
    public nint MemoryInfoGetName; // 71
    public nint MemoryInfoGetId; // 72
    public nint MemoryInfoGetMemType; // 73
    public nint MemoryInfoGetType; // 74
    public nint AllocatorAlloc; // 75
    public delegate* unmanaged<nint, void*, nint> AllocatorFree; // 76
    public nint AllocatorGetInfo; // 77
    public delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions; // 78
    public nint AddFreeDimensionOverride; // 79
    public nint GetValue; // 80
    public nint GetValueCount; // 81
    public nint CreateValue; // 82
    public nint CreateOpaqueValue; // 83
    public nint GetOpaqueValue; // 84
    public nint KernelInfoGetAttribute_float; // 85
    public nint KernelInfoGetAttribute_int64; // 86
    public nint KernelInfoGetAttribute_string; // 87
    public nint KernelContext_GetInputCount; // 88
    public nint KernelContext_GetOutputCount; // 89
    public nint KernelContext_GetInput; // 90
    public nint KernelContext_GetOutput; // 91
    public delegate* unmanaged<nint, void> ReleaseEnv; // 92
    public delegate* unmanaged<nint, void> ReleaseStatus; // 93
    public delegate* unmanaged<nint, void> ReleaseMemoryInfo; // 94
    public delegate* unmanaged<nint, void> ReleaseSession; // 95
    public delegate* unmanaged<nint, void> ReleaseValue; // 96
    public delegate* unmanaged<nint, void> ReleaseRunOptions; // 97
    public delegate* unmanaged<nint, void> ReleaseTypeInfo; // 98
    public delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo; // 99
    public delegate* unmanaged<nint, void> ReleaseSessionOptions; // 100
    public nint ReleaseCustomOpDomain; // 101
    public nint GetDenotationFromTypeInfo; // 102
    public nint CastTypeInfoToMapTypeInfo; // 103
    public nint CastTypeInfoToSequenceTypeInfo; // 104
    public nint GetMapKeyType; // 105
    public nint GetMapValueType; // 106
    public nint GetSequenceElementType; // 107
    public nint ReleaseMapTypeInfo; // 108
    public nint ReleaseSequenceTypeInfo; // 109
    public nint SessionEndProfiling; // 110
    public nint SessionGetModelMetadata; // 111
    public nint ModelMetadataGetProducerName; // 112
    public nint ModelMetadataGetGraphName; // 113
    public nint ModelMetadataGetDomain; // 114
    public nint ModelMetadataGetDescription; // 115
    public nint ModelMetadataLookupCustomMetadataMap; // 116
    public nint ModelMetadataGetVersion; // 117
    public nint ReleaseModelMetadata; // 118
    public nint CreateEnvWithGlobalThreadPools; // 119
    public nint DisablePerSessionThreads; // 120
    public nint CreateThreadingOptions; // 121
    public nint ReleaseThreadingOptions; // 122
    public nint ModelMetadataGetCustomMetadataMapKeys; // 123
    public nint AddFreeDimensionOverrideByName; // 124
    public nint GetAvailableProviders; // 125
    public nint ReleaseAvailableProviders; // 126
    public nint GetStringTensorElementLength; // 127
    public nint GetStringTensorElement; // 128
    public nint FillStringTensorElement; // 129
    public delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry; // 130
}

/// <summary><c>OrtApiBase</c>: the only thing the library exports, <c>OrtGetApiBase()</c>, returns it.</summary>
internal unsafe struct OrtApiBase
{
    public delegate* unmanaged<uint, OrtApi*> GetApi;
    public delegate* unmanaged<byte*> GetVersionString;
}
