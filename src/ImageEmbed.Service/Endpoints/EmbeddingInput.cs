using System.Text.Json;
using ImageEmbed.Imaging.Intake;
using ImageEmbed.Service.Errors;

namespace ImageEmbed.Service.Endpoints;

/// <summary>One item of an OpenAI-style <c>input</c>: an image reference, raw image bytes, or text.</summary>
internal abstract record EmbeddingInput
{
    public sealed record ImageReference(string Reference) : EmbeddingInput;
    public sealed record ImageBytes(byte[] Bytes) : EmbeddingInput;
    public sealed record Text(string Value) : EmbeddingInput;

    /// <summary>
    /// Parses <c>input</c>. A string is text unless it is a <c>data:image/</c> URI, or
    /// <paramref name="modality"/> is <c>image</c> (then every string is an image URL or data URI).
    /// An array of integers 0..255 whose bytes are an image is taken as the image file itself: that is how
    /// the OpenAI Python client sends <c>input=open(path, "rb").read()</c>. A JSON-serialized Node.js Buffer
    /// (<c>{"type": "Buffer", "data": [...]}</c>) is the same for the openai npm client's <c>input: fs.readFileSync(path)</c>.
    /// </summary>
    /// <exception cref="ApiException">400 naming the offending element.</exception>
    public static List<EmbeddingInput> Parse(JsonElement input, string? modality, int maxItems)
    {
        var items = new List<EmbeddingInput>();
        if (input.ValueKind == JsonValueKind.Array && input.GetArrayLength() > 0 && input[0].ValueKind == JsonValueKind.Number)
        {
            items.Add(FromNumbers(input, "input"));
            return items;
        }
        if (input.ValueKind != JsonValueKind.Array)
        {
            items.Add(One(input, modality, "input"));
            return items;
        }
        int count = input.GetArrayLength();
        if (count == 0) throw ApiException.BadRequest("'input' must not be empty.", "input");
        if (count > maxItems) throw ApiException.BadRequest($"'input' has {count} items; at most {maxItems} are accepted per request (Service:MaxInputsPerRequest).", "input");
        int i = 0;
        foreach (JsonElement element in input.EnumerateArray())
        {
            string where = $"input[{i++}]";
            items.Add(element.ValueKind == JsonValueKind.Array ? FromNumbers(element, where) : One(element, modality, where));
        }
        return items;
    }

    private static EmbeddingInput One(JsonElement element, string? modality, string where)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                string value = element.GetString()!;
                if (modality == "image" || (modality is null && value.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase)))
                    return new ImageReference(value);
                return new Text(value);
            case JsonValueKind.Object:
                // JSON.stringify of a Node.js Buffer, which is what the openai npm client sends for input: fs.readFileSync(file).
                if (element.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Buffer"
                    && element.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Array)
                    return FromNumbers(data, where);
                bool hasImage = element.TryGetProperty("image", out JsonElement image);
                bool hasText = element.TryGetProperty("text", out JsonElement text);
                if (hasImage == hasText)
                    throw ApiException.BadRequest($"{where} must have exactly one of 'image' or 'text'. Accepted: a string (text, or an image as a data URI), " +
                        "{\"image\": URL or data URI}, {\"text\": ...}, an image file's bytes as an array of 0..255, or a Node.js Buffer ({\"type\": \"Buffer\", \"data\": [...]}).", "input");
                JsonElement field = hasImage ? image : text;
                if (field.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"{where}.{(hasImage ? "image" : "text")} must be a string.", "input");
                return hasImage ? new ImageReference(field.GetString()!) : new Text(field.GetString()!);
            default:
                throw ApiException.BadRequest($"{where} must be a string, an object {{\"image\": ...}} / {{\"text\": ...}}, or image bytes.", "input");
        }
    }

    private static ImageBytes FromNumbers(JsonElement array, string where)
    {
        byte[] bytes = new byte[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement n in array.EnumerateArray())
        {
            if (n.ValueKind != JsonValueKind.Number || !n.TryGetByte(out bytes[i++]))
                throw ApiException.BadRequest($"{where}: token-id arrays are not supported; send text as strings.", "input");
        }
        if (ImageSniffer.Detect(bytes) is null)
            throw ApiException.BadRequest($"{where}: token-id arrays are not supported; send text as strings. (An array of bytes is accepted only when it is an image file.)", "input");
        return new ImageBytes(bytes);
    }
}
