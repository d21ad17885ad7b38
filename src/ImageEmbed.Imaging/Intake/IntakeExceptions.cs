namespace ImageEmbed.Imaging.Intake;

/// <summary>The image reference itself is unusable: not an http(s) URL or data URI, malformed, or pointing somewhere refused.</summary>
public class InvalidImageSourceException(string message) : Exception(message);

/// <summary>The URL resolves to an address the server must not connect to (loopback, private, link-local, ...). No connection was made.</summary>
public sealed class BlockedAddressException(string message) : InvalidImageSourceException(message);

/// <summary>The encoded image (upload, data URI or download) is larger than <see cref="ImagingOptions.MaxBytes"/>.</summary>
public sealed class ImagePayloadTooLargeException(string message) : Exception(message);

/// <summary>The remote image server failed: could not connect, answered an error status, or broke off.</summary>
public sealed class ImageFetchException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The remote image server did not answer within the configured time.</summary>
public sealed class ImageFetchTimeoutException(string message) : Exception(message);
