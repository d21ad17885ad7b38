// The transformers.js peer for bench/run-all.sh: the same model file and images, the way a JavaScript
// team would serve them with @huggingface/transformers (sharp decode + its image processor +
// onnxruntime-node). Local files only; nothing is downloaded.
//
//   node peer.mjs --models DIR --model NAME --images DIR [--seconds N] [--concurrency 1,8] [--json FILE]
//
// A model folder with config.json (model_type "clip") runs through pipeline('image-feature-extraction').
// mobilenet-v2-140 is not a Hugging Face architecture (NHWC input named "input"), so it runs through
// transformers.js' AutoImageProcessor + RawImage and the onnxruntime-node session transformers.js ships
// with, on the same model.onnx: the pipeline minus the model class.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { env, pipeline, AutoImageProcessor, RawImage } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs, []));
const modelsDir = path.resolve(args.models);
const name = args.model;
const seconds = Number(args.seconds ?? 5);
const concurrencies = (args.concurrency ?? '1,8').split(',').map(Number);

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = modelsDir + path.sep;

const images = fs.readdirSync(args.images)
  .filter(f => /\.(jpe?g|png|webp)$/i.test(f))
  .sort()
  .map(f => fs.readFileSync(path.join(args.images, f)));

const modelDir = path.join(modelsDir, name);
const config = fs.existsSync(path.join(modelDir, 'config.json'))
  ? JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) : null;

let embed;
let how;
if (config?.model_type === 'clip') {
  const extractor = await pipeline('image-feature-extraction', name, { dtype: 'fp32', device: 'cpu' });
  embed = async bytes => (await extractor(await RawImage.fromBlob(new Blob([bytes])))).data;
  how = "pipeline('image-feature-extraction')";
} else {
  // peer.json (written by run-all.sh from ImageEmbed's catalog entry) names the file, its input, output and
  // layout; preprocessor_config.json carries the same resize and scale.
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, 'peer.json'), 'utf8'));
  const processor = await AutoImageProcessor.from_pretrained(name);
  const session = await ort.InferenceSession.create(path.join(modelDir, manifest.image.file));
  const nhwc = manifest.image.layout === 'nhwc';
  embed = async bytes => {
    const { pixel_values } = await processor(await RawImage.fromBlob(new Blob([bytes])));
    const input = nhwc ? pixel_values.permute(0, 2, 3, 1) : pixel_values;
    const feed = { [manifest.image.input]: new ort.Tensor('float32', Float32Array.from(input.data), input.dims) };
    return (await session.run(feed, [manifest.image.output]))[manifest.image.output].data;
  };
  how = 'AutoImageProcessor + onnxruntime-node session';
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))];
}

await embed(images[0]); // warm-up: session start-up is not measured
const rows = {};
for (const c of concurrencies) {
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: c }, async () => {
    while (performance.now() - start < seconds * 1000) {
      const bytes = images[next++ % images.length];
      const t = performance.now();
      await embed(bytes);
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  rows[`peer_c${c}`] = { images_per_second: latencies.length / elapsed, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
  console.error(`peer: ${name}, concurrency ${c}: ${(latencies.length / elapsed).toFixed(1)} images/s`);
}
rows.peer_peak_mb = { images_per_second: Math.round(process.resourceUsage().maxRSS / 1024), p50_ms: 0, p99_ms: 0 };

const result = { model: name, how, transformers: JSON.parse(fs.readFileSync(new URL('./node_modules/@huggingface/transformers/package.json', import.meta.url))).version, cores: os.cpus().length, rows };
if (args.json) fs.writeFileSync(args.json, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result, null, 2));
