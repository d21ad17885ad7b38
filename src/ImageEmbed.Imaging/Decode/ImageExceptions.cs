namespace ImageEmbed.Imaging.Decode;

/// <summary>
/// The bytes are not an image ImageEmbed can use: not a supported raster format, corrupt, truncated
/// or empty. The message says which, in words a client can act on.
/// </summary>
public class ImageDecodeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The bytes are not a supported raster image at all (text, HTML, SVG, PDF, unknown).</summary>
public sealed class UnsupportedImageFormatException(string message) : ImageDecodeException(message);

/// <summary>The image's header declares more pixels than <see cref="ImagingOptions.MaxPixels"/> allows.</summary>
public sealed class ImageTooLargeException(string message) : ImageDecodeException(message);

/// <summary>The image's decode ran past <see cref="ImagingOptions.DecodeTimeoutMs"/> and was stopped; its slot is free again.</summary>
public sealed class ImageTooCostlyException(string message) : ImageDecodeException(message);
