using ImageEmbed.Imaging.Intake;

namespace ImageEmbed.Imaging.Decode;

/// <summary>What the decoder learned about a source image (before resizing).</summary>
public readonly record struct DecodedImage(ImageFormat Format, int SourceWidth, int SourceHeight, bool HadAlpha, bool HadIccProfile);
