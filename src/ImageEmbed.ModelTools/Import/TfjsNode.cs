using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// One node of a TensorFlow.js graph model (a TensorFlow <c>NodeDef</c> in its JSON form). Attribute
/// getters return null when the attribute is absent and throw <see cref="TfjsImportException"/>,
/// naming the file, node and attribute, when it is present but malformed. Immutable.
/// </summary>
public sealed class TfjsNode
{
    private readonly JsonObject? _attr;
    private readonly string _source;

    internal TfjsNode(string source, string name, string op, string[] inputs, JsonObject? attr)
    {
        _source = source;
        Name = name;
        Op = op;
        Inputs = inputs;
        _attr = attr;
    }

    public string Name { get; }

    /// <summary>The TensorFlow op, e.g. <c>_FusedConv2D</c>.</summary>
    public string Op { get; }

    /// <summary>Input references as written: <c>node</c>, <c>node:1</c>, or <c>^node</c> for a control dependency.</summary>
    public IReadOnlyList<string> Inputs { get; }

    public bool HasAttribute(string name) => _attr?[name] is not null;

    /// <summary>An integer list attribute (<c>{list:{i:[...]}}</c>), e.g. strides.</summary>
    public long[]? GetInts(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        if (attr["list"] is not JsonObject list) throw Malformed(name, "is not a list");
        if (list["i"] is null) return [];
        if (list["i"] is not JsonArray items) throw Malformed(name, "has a list.i that is not an array");
        long[] result = new long[items.Count];
        for (int k = 0; k < items.Count; k++)
            result[k] = AsInt64(items[k]) ?? throw Malformed(name, $"has a non-integer list item {items[k]?.ToJsonString()}");
        return result;
    }

    /// <summary>A string attribute (<c>{s:"base64"}</c>), decoded from base64 to text, e.g. padding "SAME".</summary>
    public string? GetString(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        return DecodeBase64(name, attr["s"]);
    }

    /// <summary>A string list attribute (<c>{list:{s:[...]}}</c>), each decoded, e.g. fused_ops.</summary>
    public string[]? GetStrings(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        if (attr["list"] is not JsonObject list) throw Malformed(name, "is not a list");
        if (list["s"] is null) return [];
        if (list["s"] is not JsonArray items) throw Malformed(name, "has a list.s that is not an array");
        return items.Select(item => DecodeBase64(name, item)).ToArray();
    }

    public bool? GetBool(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        if (attr["b"] is not JsonValue value) return false; // proto3 JSON leaves out a false bool
        return value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Malformed(name, "is not a boolean"),
        };
    }

    public long? GetInt(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        if (attr["i"] is null) return 0; // proto3 JSON leaves out a zero
        return AsInt64(attr["i"]) ?? throw Malformed(name, "is not an integer");
    }

    public double? GetFloat(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        if (attr["f"] is null) return 0;
        return AsDouble(attr["f"]) ?? throw Malformed(name, "is not a number");
    }

    /// <summary>A type attribute (<c>{type:"DT_FLOAT"}</c>).</summary>
    public string? GetDataType(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        return AsString(attr["type"]) ?? throw Malformed(name, "has no type");
    }

    /// <summary>
    /// A shape attribute (<c>{shape:{dim:[{size:"-1"},...]}}</c>) with -1 for unknown sizes; null when
    /// absent or of unknown rank.
    /// </summary>
    public long[]? GetShape(string name)
    {
        if (Attribute(name) is not { } attr) return null;
        if (attr["shape"] is not JsonObject shape) throw Malformed(name, "is not a shape");
        if (shape["unknownRank"] is JsonValue unknown && unknown.GetValueKind() == JsonValueKind.True) return null;
        return ReadDims(shape, () => Malformed(name, "has a malformed dim list"));
    }

    /// <summary>The shape a Const node declares for its value (<c>value.tensor.tensorShape</c>); null when absent.</summary>
    internal long[]? GetConstShape()
    {
        if (Attribute("value") is not { } attr || attr["tensor"] is not JsonObject tensor) return null;
        if (tensor["tensorShape"] is not JsonObject shape) return [];
        return ReadDims(shape, () => Malformed("value", "has a malformed tensorShape"));
    }

    internal static long[] ReadDims(JsonObject shape, Func<Exception> malformed)
    {
        if (shape["dim"] is null) return []; // a scalar
        if (shape["dim"] is not JsonArray dims) throw malformed();
        long[] result = new long[dims.Count];
        for (int k = 0; k < dims.Count; k++)
        {
            if (dims[k] is not JsonObject dim) throw malformed();
            result[k] = dim["size"] is null ? 0 : AsInt64(dim["size"]) ?? throw malformed();
        }
        return result;
    }

    public override string ToString() => $"{Name} ({Op})";

    private JsonObject? Attribute(string name) => _attr?[name] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw Malformed(name, "is not an AttrValue object"),
    };

    private string DecodeBase64(string name, JsonNode? node)
    {
        if (AsString(node) is not { } text) throw Malformed(name, "is not a base64 string");
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text));
        }
        catch (FormatException)
        {
            throw Malformed(name, $"holds '{text}', which is not base64");
        }
    }

    private TfjsImportException Malformed(string attr, string problem) =>
        new($"{_source}: node '{Name}' ({Op}): attribute '{attr}' {problem}.");

    internal static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A number, or a string holding one (protobuf JSON writes int64 values as strings).</summary>
    internal static double? AsDouble(JsonNode? node)
    {
        if (node is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            JsonValueKind.Number => value.GetValue<double>(),
            JsonValueKind.String when double.TryParse(value.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
            _ => null,
        };
    }

    internal static long? AsInt64(JsonNode? node)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            return long.TryParse(value.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed) ? parsed : null;
        return AsDouble(node) is double d && d == Math.Floor(d) && Math.Abs(d) <= 1L << 53 ? (long)d : null;
    }
}
