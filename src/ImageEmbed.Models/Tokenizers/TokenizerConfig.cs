using System.Text.Json;

namespace ImageEmbed.Models.Tokenizers;

/// <summary>
/// <c>tokenizer_config.json</c>, which Transformers keeps beside <c>tokenizer.json</c>: the pad token lives
/// there when <c>tokenizer.json</c>'s own <c>padding</c> is null (CLIP, SigLIP).
/// </summary>
internal static class TokenizerConfig
{
    public const string FileName = "tokenizer_config.json";

    /// <summary>The spelling of <c>pad_token</c> in the <c>tokenizer_config.json</c> beside <paramref name="tokenizerJson"/>; null without one.</summary>
    /// <exception cref="TokenizerException">The file is not valid JSON.</exception>
    public static string? PadToken(string tokenizerJson)
    {
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJson))!, FileName);
        if (!File.Exists(config)) return null;
        try
        {
            using FileStream stream = File.OpenRead(config);
            using JsonDocument document = JsonDocument.Parse(stream);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("pad_token", out JsonElement pad))
                return null;
            return pad.ValueKind switch
            {
                JsonValueKind.String => pad.GetString(),
                JsonValueKind.Object when pad.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
                _ => null,
            };
        }
        catch (JsonException e)
        {
            throw new TokenizerException(config, $"not valid JSON ({e.Message})", e);
        }
    }
}
