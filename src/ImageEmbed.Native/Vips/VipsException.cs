namespace ImageEmbed.Native.Vips;

/// <summary>A libvips call failed; <see cref="Exception.Message"/> carries libvips' own error text.</summary>
public sealed class VipsException(string message, string[] nativeLines) : Exception(message)
{
    /// <summary>libvips' error buffer, one entry per line, outermost failure first.</summary>
    public string[] NativeLines { get; } = nativeLines;

    /// <summary>Reads and clears libvips' error buffer and wraps it, prefixed with what we were doing.</summary>
    internal static unsafe VipsException FromErrorBuffer(string context)
    {
        string native = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)VipsInterop.ErrorBuffer()) ?? "";
        VipsInterop.ErrorClear();
        string[] lines = native.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new VipsException(lines.Length == 0 ? context : $"{context}: {string.Join(" ", lines)}", lines);
    }
}
