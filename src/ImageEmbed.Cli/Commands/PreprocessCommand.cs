using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Models.Catalog;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed preprocess</c>: the pixels a model sees, as PNGs, from its manifest's recipe alone (no weights needed).</summary>
internal static class PreprocessCommand
{
    private static readonly OptionSpec Model = new("model", "m", "NAME", "Whose recipe to apply: an installed model, or any catalog model even when not installed (default: the 'default' alias).");
    private static readonly OptionSpec Output = new("output", "o", "DIR", "Folder for the PNGs (required; created if missing).");

    public static readonly CommandSpec Spec = new(
        "preprocess",
        "Write what a model sees for each image (decoded, oriented, colour-managed, resized and cropped) as a PNG.",
        "preprocess --model NAME -o DIR PATH...",
        [Model, Output],
        """
        For each image, the model-size RGB pixels ImageEmbed feeds the model before rescaling and
        normalization, as DIR/<file name without extension>.png (224x224 for CLIP): the way to see why an
        image embeds oddly, or to compare the pipeline with another one. The recipe comes from the model's
        manifest, or from the catalog for a model that is not installed, so the weights are not needed.
        PATH is a file or a folder (searched as 'embed' does); a file that cannot be decoded is reported with
        its reason and the rest go on (exit code 1). Imaging settings apply as for the service, e.g.
        --Imaging:ShrinkOnLoad=false to decode every pixel of large JPEGs.

        Examples:
          imageembed preprocess --model clip-vit-b32 -o seen photo.jpg
          imageembed preprocess --model mobilenet-v2-140 -o seen ~/Pictures/odd
        """);

    public static int Run(ParsedArgs args)
    {
        if (args.Positionals.Count == 0) throw new UsageException("Give at least one file or folder. See 'imageembed preprocess --help'.");
        string outputDir = args.Get("output") ?? throw new UsageException("Give the folder to write with -o DIR.");
        ImagePreprocessing recipe = Recipe(args.Get("model") ?? "default");
        List<string> files = InputFiles.Expand(args.Positionals);
        if (files.Count == 0) throw new UsageException("No image files found in the given folders.");
        Directory.CreateDirectory(outputDir);

        var decoder = new ImageDecoder(Settings.Imaging());
        int failed = 0;
        byte[] rgb = new byte[recipe.PixelLength];
        foreach (string file in files)
        {
            try
            {
                decoder.Decode(File.ReadAllBytes(file), recipe, rgb);
                using VipsImage image = VipsImage.FromPixels(rgb, recipe.Width, recipe.Height, 3);
                File.WriteAllBytes(Path.Combine(outputDir, Path.GetFileNameWithoutExtension(file) + ".png"), image.WriteToBuffer(".png"));
            }
            catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
            {
                failed++;
                Console.Error.WriteLine($"error: {file}: {e.Message}");
            }
        }
        Console.Error.WriteLine($"wrote {files.Count - failed} image(s) of {recipe.Width}x{recipe.Height} to {outputDir}" + (failed > 0 ? $"; {failed} failed" : ""));
        return failed > 0 ? 1 : 0;
    }

    /// <summary>The installed model's recipe, else the catalog's for that name.</summary>
    private static ImagePreprocessing Recipe(string name)
    {
        try
        {
            return new ModelRegistry(Settings.Models()).Find(name).Manifest.Image.Preprocessing;
        }
        catch (UnknownModelException) when (ModelCatalog.Known.TryGetValue(name, out ModelManifest? known))
        {
            return known.Image.Preprocessing;
        }
    }
}
