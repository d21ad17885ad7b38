namespace ImageEmbed.Imaging.Vips;

/// <summary>A libvips call failed; <see cref="Exception.Message"/> carries libvips' own error text.</summary>
public sealed class VipsException : Exception
{
    private VipsException(string message, string[] nativeLines, Exception? inner) : base(message, inner) => NativeLines = nativeLines;

    /// <summary>libvips' error buffer, one entry per line, outermost failure first.</summary>
    public string[] NativeLines { get; }

    /// <summary>
    /// Wraps NetVips' exception, whose message is its own first line followed by libvips' error buffer
    /// (which NetVips has read and cleared), prefixed with what we were doing.
    /// </summary>
    internal static VipsException From(string context, NetVips.VipsException e)
    {
        string[] lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] native = lines.Length > 1 ? lines[1..] : [];
        return new VipsException(native.Length == 0 ? context : $"{context}: {string.Join(" ", native)}", native, e);
    }

    /// <summary>A failure that NetVips reported without an exception (a null result): libvips' error buffer is read and cleared here.</summary>
    internal static VipsException FromErrorBuffer(string context) => From(context, new NetVips.VipsException(context));
}
