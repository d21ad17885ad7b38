using System.Text.RegularExpressions;
using ImageEmbed.Imaging.Preprocess;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Tokenizers;

namespace ImageEmbed.Models.Tests;

public sealed partial class ModelCatalogTests
{
    [Fact]
    public void Known_EveryEntry_IsAValidManifest()
    {
        foreach (ModelManifest m in ModelCatalog.Known.Values)
            Assert.True(!m.Validate().Any(), $"{m.Name}: {string.Join(" ", m.Validate())}");
    }

    [Theory]
    [InlineData("siglip-base-patch16-224", "onnx/vision_model.onnx", "onnx/text_model.onnx")]
    [InlineData("siglip-base-patch16-224-q8", "onnx/vision_model_quantized.onnx", "onnx/text_model_quantized.onnx")]
    public void Siglip_Entries_768dSigmoidSentencePiece_EveryFilePinnedToOneRevision(string name, string vision, string text)
    {
        ModelManifest m = ModelCatalog.Known[name];

        Assert.Equal(768, m.Dimensions);
        Assert.Equal((vision, "pixel_values", "pooler_output"), (m.Image.File, m.Image.Input, m.Image.Output));
        Assert.Equal((ResizeMode.Squash, "cubic", 224, 224), (m.Image.Preprocessing.Resize, m.Image.Preprocessing.Kernel, m.Image.Preprocessing.Width, m.Image.Preprocessing.Height));
        Assert.Equal([0.5f, 0.5f, 0.5f], m.Image.Preprocessing.Mean);
        Assert.Equal([0.5f, 0.5f, 0.5f], m.Image.Preprocessing.Std);
        TextEncoderSpec t = m.Text!;
        Assert.Equal((text, TextTokenizers.Siglip, 64, "sigmoid", null), (t.File, t.TokenizerType, t.ContextLength, t.Scoring, t.AttentionMask));
        Assert.Equal((117.330795f, -12.932437f), (t.LogitScale, t.LogitBias));
        Assert.Equal([vision, text, "tokenizer.json", "tokenizer_config.json"], m.Downloads.Select(d => d.Path));
        Assert.All(m.Downloads, d => Assert.Matches(PinnedUrl(), d.Url));
        Assert.Single(m.Downloads.Select(d => PinnedUrl().Match(d.Url).Groups[1].Value).Distinct());
        Assert.Equal((m.Image.Size, m.Image.Sha256), (m.Downloads[0].Size, m.Downloads[0].Sha256));
        Assert.Equal((t.Size, t.Sha256), (m.Downloads[1].Size, m.Downloads[1].Sha256));
    }

    [Fact]
    public void Validate_UnknownTokenizerTypeOrScoring_NamesTheField()
    {
        ModelManifest clip = ModelCatalog.ClipVitB32;
        ModelManifest odd = clip with { Text = clip.Text! with { TokenizerType = "wordpiece", Scoring = "argmax" } };

        string problems = string.Join(" ", odd.Validate());

        Assert.Contains("text.tokenizer_type 'wordpiece' is not one of clip, siglip", problems, StringComparison.Ordinal);
        Assert.Contains("text.scoring 'argmax' is not softmax or sigmoid", problems, StringComparison.Ordinal);
    }

    [GeneratedRegex("^https://huggingface\\.co/Xenova/siglip-base-patch16-224/resolve/([0-9a-f]{40})/")]
    private static partial Regex PinnedUrl();
}
