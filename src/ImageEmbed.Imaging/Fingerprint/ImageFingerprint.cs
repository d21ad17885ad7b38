namespace ImageEmbed.Imaging.Fingerprint;

/// <summary>
/// What identifies an image's content: <see cref="ContentHash"/> (SHA-256 of the encoded bytes,
/// lowercase hex: the same file), <see cref="PerceptualHash"/> (the same picture, see
/// <see cref="Fingerprint.PerceptualHash"/>), and a small JPEG <see cref="Thumbnail"/> (longest side at most
/// <see cref="ImageFingerprinter.ThumbnailSize"/>, sRGB, upright) of <see cref="ThumbnailWidth"/> × <see cref="ThumbnailHeight"/>.
/// </summary>
public sealed record ImageFingerprint(string ContentHash, ulong PerceptualHash, byte[] Thumbnail, int ThumbnailWidth, int ThumbnailHeight);
