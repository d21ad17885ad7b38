using System.Runtime.InteropServices;

namespace ImageEmbed.Native.Vips;

/// <summary>
/// Owns one GObject reference (an operation, a source). No finalizer-time surprises: GObject
/// unref is thread-safe, so releasing from the finalizer thread is allowed, as in net-vips.
/// </summary>
internal class VipsObjectHandle : SafeHandle
{
    public VipsObjectHandle() : base(0, ownsHandle: true) { }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        VipsInterop.GObjectUnref(handle);
        return true;
    }
}

/// <summary>Owns one reference to a <c>VipsImage</c>.</summary>
internal sealed class VipsImageHandle : VipsObjectHandle;
