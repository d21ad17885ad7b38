using System.Text.Json;
using ImageEmbed.Models.Catalog;
using ImageEmbed.ModelTools.Import;

namespace ImageEmbed.ModelTools.Benchmarks;

/// <summary>
/// A full-size CLIP ViT-B/32 vision tower with seeded random weights, for benchmarks only (no CLIP
/// weights can be fetched here). Same graph shape and FLOPs as <c>openai/clip-vit-base-patch32</c>'s
/// vision tower with projection: conv patch embedding 3→768 (32×32, stride 32), class token, 50×768
/// positional embedding, pre-LN, 12 pre-norm blocks (12-head attention, MLP 768→3072→768 with
/// quick_gelu), post-LN on the class token, projection 768→512. Written in the Hugging Face /
/// transformers.js layout (<c>config.json</c>, <c>preprocessor_config.json</c>, <c>onnx/vision_model.onnx</c>)
/// plus ImageEmbed's manifest, so the engine and the transformers.js peer load the same file. Its int8
/// variant is made from this file by <c>imageembed models quantize</c>, the product's quantizer.
/// </summary>
public static class VitBenchModel
{
    public const string Name = "clip-vit-b32-random";
    private const int Width = 768, Layers = 12, Heads = 12, Mlp = 3072, Projection = 512;

    /// <summary>The folder name of the tower with <paramref name="patch"/>-pixel patches (32: B/32; 16: B/16, the image compute of CLIP B/16 and SigLIP base/16).</summary>
    public static string NameFor(int patch) => patch == 32 ? Name : $"clip-vit-b{patch}-random";

    /// <summary>Writes the model folder <c>DIR/clip-vit-b32-random</c>, replacing one already there, and returns its path.</summary>
    /// <param name="patch">Patch size: 32 (the default, ViT-B/32) or 16 (ViT-B/16, 197 tokens instead of 50).</param>
    public static string Write(string modelsDirectory, int seed = 32, int patch = 32)
    {
        if (patch is not (16 or 32)) throw new ArgumentOutOfRangeException(nameof(patch), patch, "ViT-B patches are 16 or 32 pixels.");
        string dir = Path.Combine(modelsDirectory, NameFor(patch));
        var rng = new Random(seed);
        OnnxWriter.WriteFile(Build(rng, patch), Path.Combine(dir, "onnx", "vision_model.onnx"));
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new
        {
            model_type = "clip",
            architectures = new[] { "CLIPVisionModelWithProjection" },
            projection_dim = Projection,
            vision_config = new
            {
                model_type = "clip_vision_model",
                hidden_size = Width,
                intermediate_size = Mlp,
                num_hidden_layers = Layers,
                num_attention_heads = Heads,
                patch_size = patch,
                image_size = 224,
                hidden_act = "quick_gelu",
                projection_dim = Projection,
            },
        }));
        ImagePreprocessingJson(dir);
        ModelManifest clip = ModelCatalog.ClipVitB32;
        ModelFolders.WriteManifest(dir, new ModelManifest
        {
            Name = NameFor(patch),
            Dimensions = Projection,
            Description = $"CLIP ViT-B/{patch}-shaped vision tower with random weights (benchmarks only).",
            Source = $"imageembed bench --make-vit, seed {seed}",
            Image = clip.Image with { File = "onnx/vision_model.onnx", Sha256 = null, Size = null },
        });
        return dir;
    }

    // CLIPImageProcessor as the Xenova CLIP exports ship it: bicubic shortest side 224, centre crop, CLIP mean/std.
    private static void ImagePreprocessingJson(string dir) =>
        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), JsonSerializer.Serialize(new
        {
            image_processor_type = "CLIPImageProcessor",
            feature_extractor_type = "CLIPFeatureExtractor",
            do_resize = true,
            size = new { shortest_edge = 224 },
            resample = 3,
            do_center_crop = true,
            crop_size = new { height = 224, width = 224 },
            do_rescale = true,
            rescale_factor = 1 / 255.0,
            do_normalize = true,
            image_mean = new[] { 0.48145466, 0.4578275, 0.40821073 },
            image_std = new[] { 0.26862954, 0.26130258, 0.27577711 },
            do_convert_rgb = true,
        }));

    private static OnnxModel Build(Random rng, int patch)
    {
        int tokens = (224 / patch) * (224 / patch) + 1;
        var nodes = new List<OnnxNode>();
        var weights = new List<OnnxTensor>();
        int id = 0;
        string Node(string op, string[] inputs, params OnnxAttribute[] attributes)
        {
            string output = $"{op.ToLowerInvariant()}_{id++}";
            nodes.Add(new OnnxNode(op, output, inputs, [output], attributes));
            return output;
        }
        float[] Random(long[] dims, float scale)
        {
            float[] data = new float[dims.Aggregate(1L, (a, d) => a * d)];
            for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
            return data;
        }
        string Weight(string name, long[] dims, float scale)
        {
            weights.Add(OnnxTensor.Float(name, dims, Random(dims, scale)));
            return name;
        }
        string Constant(string name, long[] dims, float value)
        {
            float[] data = new float[dims.Aggregate(1L, (a, d) => a * d)];
            Array.Fill(data, value);
            weights.Add(OnnxTensor.Float(name, dims, data));
            return name;
        }
        string Ints(string name, params long[] values)
        {
            weights.Add(OnnxTensor.Int64(name, [values.Length], values));
            return name;
        }
        string LayerNorm(string x, string prefix) =>
            Node("LayerNormalization", [x, Constant(prefix + ".weight", [Width], 1f), Constant(prefix + ".bias", [Width], 0f)],
                OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", 1e-5f));
        // Uniform(-s, s) with s = sqrt(3) * 0.02: the standard deviation of CLIP's initialisation.
        const float init = 0.0346f;
        string Linear(string x, string prefix, int inputs, int outputs, bool bias = true)
        {
            string y = Node("MatMul", [x, Weight(prefix + ".weight", [inputs, outputs], init)]);
            return bias ? Node("Add", [y, Weight(prefix + ".bias", [outputs], init)]) : y;
        }

        // Patch embedding [N,3,224,224] → [N,768,7,7] → [N,49,768] (B/16: 14x14, 196); class token in front; positions added.
        string patches = Node("Conv", ["pixel_values", Weight("embeddings.patch_embedding.weight", [Width, 3, patch, patch], init)],
            OnnxAttribute.Ints("kernel_shape", patch, patch), OnnxAttribute.Ints("strides", patch, patch));
        patches = Node("Reshape", [patches, Ints("shape_patches", 0, Width, -1)]);
        patches = Node("Transpose", [patches], OnnxAttribute.Ints("perm", 0, 2, 1));
        string batch = Node("Slice", [Node("Shape", ["pixel_values"]), Ints("zero", 0), Ints("one", 1)]);
        string clsShape = Node("Concat", [batch, Ints("one_width", 1, Width)], OnnxAttribute.Int("axis", 0));
        string cls = Node("Expand", [Weight("embeddings.class_embedding", [1, 1, Width], init), clsShape]);
        string x = Node("Concat", [cls, patches], OnnxAttribute.Int("axis", 1));
        x = Node("Add", [x, Weight("embeddings.position_embedding", [tokens, Width], init)]);
        x = LayerNorm(x, "pre_layrnorm");

        string heads = Ints("shape_heads", 0, -1, Heads, Width / Heads);
        string merged = Ints("shape_merged", 0, -1, Width);
        string scale = Constant("attention_scale", [], 1f / MathF.Sqrt(Width / Heads));
        string geluScale = Constant("quick_gelu_scale", [], 1.702f);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"encoder.layers.{l}";
            string h = LayerNorm(x, p + ".layer_norm1");
            string q = Node("Mul", [Linear(h, p + ".self_attn.q_proj", Width, Width), scale]);
            q = Node("Transpose", [Node("Reshape", [q, heads])], OnnxAttribute.Ints("perm", 0, 2, 1, 3));
            string k = Node("Transpose", [Node("Reshape", [Linear(h, p + ".self_attn.k_proj", Width, Width), heads])], OnnxAttribute.Ints("perm", 0, 2, 3, 1));
            string v = Node("Transpose", [Node("Reshape", [Linear(h, p + ".self_attn.v_proj", Width, Width), heads])], OnnxAttribute.Ints("perm", 0, 2, 1, 3));
            string attention = Node("Softmax", [Node("MatMul", [q, k])], OnnxAttribute.Int("axis", -1));
            string context = Node("Transpose", [Node("MatMul", [attention, v])], OnnxAttribute.Ints("perm", 0, 2, 1, 3));
            context = Linear(Node("Reshape", [context, merged]), p + ".self_attn.out_proj", Width, Width);
            x = Node("Add", [x, context]);

            h = LayerNorm(x, p + ".layer_norm2");
            h = Linear(h, p + ".mlp.fc1", Width, Mlp);
            h = Node("Mul", [h, Node("Sigmoid", [Node("Mul", [h, geluScale])])]); // quick_gelu
            x = Node("Add", [x, Linear(h, p + ".mlp.fc2", Mlp, Width)]);
        }

        string pooled = Node("Gather", [x, Ints("cls_index", 0)], OnnxAttribute.Int("axis", 1));
        pooled = Node("Reshape", [pooled, Ints("shape_pooled", 0, Width)]);
        pooled = LayerNorm(pooled, "post_layernorm");
        string embeds = Linear(pooled, "visual_projection", Width, Projection, bias: false);
        nodes.Add(new OnnxNode("Identity", "image_embeds", [embeds], ["image_embeds"], []));

        OnnxDim n = OnnxDim.Symbolic("batch_size");
        return new OnnxModel(new OnnxGraph("clip_vit_b32_random", nodes, weights,
            [new OnnxValueInfo("pixel_values", OnnxDataType.Float, [n, OnnxDim.Fixed(3), OnnxDim.Fixed(224), OnnxDim.Fixed(224)])],
            [new OnnxValueInfo("image_embeds", OnnxDataType.Float, [n, OnnxDim.Fixed(Projection)])]),
            "CLIP ViT-B/32-shaped vision tower, random weights (imageembed bench)")
        { IrVersion = 8, OpsetVersion = 17 };
    }
}
