// Writes the independent reference for resnet18-imagenet: sharp (libvips) decodes and resizes each dev and
// formats image, onnxruntime-node runs the NuGet package's own two graphs in turn (ResNetPreprocess.onnx,
// then ResNet18.onnx), and the pooled 512 values are L2-normalized. Nothing of ImageEmbed's code is used.
// Usage (after `npm ci --ignore-scripts` here):
//   node resnet18-reference.mjs PACKAGE_DNNIMAGEMODELS_DIR SHARED_IMAGES_DIR OUT.json
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import ort from 'onnxruntime-node';

const [modelsDir, imagesDir, out] = process.argv.slice(2);
const prep = await ort.InferenceSession.create(path.join(modelsDir, 'ResNetPrepOnnx', 'ResNetPreprocess.onnx'));
const net = await ort.InferenceSession.create(path.join(modelsDir, 'ResNet18Onnx', 'ResNet18.onnx'));
const items = [], notDecodable = [];
for (const folder of ['dev', 'formats']) {
  for (const name of fs.readdirSync(path.join(imagesDir, folder)).sort()) {
    if (name.endsWith('.tsv') || name.endsWith('.md')) continue;
    const file = `${folder}/${name}`;
    let pixels;
    try {
      const { data, info } = await sharp(fs.readFileSync(path.join(imagesDir, file)), { limitInputPixels: 100_000_000, failOn: 'truncated' })
        .rotate()                                   // EXIF orientation
        .flatten({ background: '#ffffff' })         // alpha onto white
        .resize(224, 224, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false })
        .toColourspace('srgb')                      // ICC / CMYK / grey / 16-bit -> 8-bit sRGB
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`${info.channels} channels`);
      pixels = data;
    } catch (e) {
      notDecodable.push({ file, error: String(e.message ?? e) });
      continue;
    }
    const planar = new Float32Array(3 * 224 * 224);           // RGB 0..255, NCHW, as ML.NET's ExtractPixels
    for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) planar[c * 224 * 224 + i] = pixels[i * 3 + c];
    const prepared = await prep.run({ OriginalInput: new ort.Tensor('float32', planar, [1, 3, 224, 224]) });
    const pooled = await net.run({ Input247: new ort.Tensor('float32', prepared.PreprocessedInput.data, [1, 3, 224, 224]) });
    const v = Array.from(pooled.Pooling395_Output_0.data);
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    items.push({ file, embedding: v.map(x => Number((x / norm).toFixed(6))) });
  }
}
const header = {
  model: 'resnet18-imagenet (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0: ResNetPreprocess.onnx then ResNet18.onnx, run in turn)',
  produced_by: `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}) + onnxruntime-node (CPU), one image per run; bench/peer/resnet18-reference.mjs`,
  recipe: ['first frame; EXIF orientation', 'alpha flattened onto white', 'resize to exactly 224x224 (squash), linear kernel, no shrink-on-load',
           'sRGB 8-bit (embedded ICC / CMYK / grey converted)', 'RGB 0..255 planar [1,3,224,224] -> OriginalInput', 'Pooling395_Output_0 [1,512,1,1], L2-normalized here'],
  recommended_thresholds: { mean: 0.9995, min: 0.995, why: 'the thresholds of the shared mobilenet-v2-140 reference (same decoder and resize)' },
  not_decodable: notDecodable,
};
fs.writeFileSync(out, JSON.stringify({ header, items }));
console.error(`${items.length} embeddings, ${notDecodable.length} not decodable -> ${out}`);
