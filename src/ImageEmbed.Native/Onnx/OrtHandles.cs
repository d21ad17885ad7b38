using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Onnx;

/// <summary>Base for every ONNX Runtime object we own: releases it with its matching <c>Release*</c>.</summary>
internal abstract unsafe class OrtHandle : SafeHandle
{
    protected OrtHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of a pointer an ORT <c>Create*</c> call just returned.</summary>
    public void Attach(nint pointer) => SetHandle(pointer);

    /// <summary>
    /// The raw pointer, with a reference held until the returned lease is disposed, so a concurrent
    /// Dispose cannot free the object while native code uses it.
    /// </summary>
    public Lease Use(out nint pointer)
    {
        bool added = false;
        DangerousAddRef(ref added);
        pointer = handle;
        return new Lease(this);
    }

    public readonly struct Lease(SafeHandle owner) : IDisposable
    {
        public void Dispose() => owner.DangerousRelease();
    }
}

internal sealed unsafe class OrtEnvHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseEnv(handle); return true; }
}

internal sealed unsafe class OrtSessionOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseSessionOptions(handle); return true; }
}

internal sealed unsafe class OrtSessionHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseSession(handle); return true; }
}

internal sealed unsafe class OrtValueHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseValue(handle); return true; }
}

internal sealed unsafe class OrtRunOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseRunOptions(handle); return true; }
}

internal sealed unsafe class OrtMemoryInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseMemoryInfo(handle); return true; }
}

internal sealed unsafe class OrtTypeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseTypeInfo(handle); return true; }
}

internal sealed unsafe class OrtTensorTypeAndShapeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtRuntime.Api->ReleaseTensorTypeAndShapeInfo(handle); return true; }
}
