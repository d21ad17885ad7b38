namespace ImageEmbed.Imaging.Intake;

/// <summary>Raster formats ImageEmbed accepts, as recognised from their leading bytes.</summary>
public enum ImageFormat { Jpeg, Png, Gif, WebP, Tiff, Avif, Heif }
