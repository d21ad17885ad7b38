// Turns the JSON of bench/run-all.sh's rounds into Markdown tables: the median of each number over the
// rounds, ratios taken within each round first (so a noisy round moves numerator and denominator together).
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

const dir = process.argv[2];
const files = fs.readdirSync(dir);
const median = xs => { const s = xs.filter(x => Number.isFinite(x)).sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const f1 = x => Number.isFinite(x) ? x.toFixed(1) : '—';
const f0 = x => Number.isFinite(x) ? x.toFixed(0) : '—';
const pct = x => Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '—';

const lines = [];
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
lines.push(`Machine: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, node ${process.version}.`);
const roundsOf = {};
for (const model of ['mobilenet-v2-140', 'clip-vit-b32-random', 'clip-vit-b32-random-int8']) {
  const pattern = new RegExp(`^${model}-(\\d+)\\.json$`);
  const rounds = files.filter(f => pattern.test(f))
    .map(f => {
      const round = f.match(pattern)[1];
      const ours = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const peerFile = path.join(dir, `${model}-${round}-peer.json`);
      const peer = fs.existsSync(peerFile) ? JSON.parse(fs.readFileSync(peerFile, 'utf8')) : { rows: {} };
      const peakFile = path.join(dir, `${model}-${round}-service-peak`);
      const servicePeak = fs.existsSync(peakFile) ? Number(fs.readFileSync(peakFile, 'utf8')) / 1024 : NaN;
      return { rows: { ...ours.rows, ...peer.rows }, how: peer.how, transformers: peer.transformers, servicePeak };
    });
  if (rounds.length === 0) continue;
  roundsOf[model] = rounds;
  const get = (key, field) => median(rounds.map(r => r.rows[key]?.[field]));
  const ratio = (key, baseKey) => median(rounds.map(r => r.rows[key]?.images_per_second / r.rows[baseKey]?.images_per_second));
  const peerBest = r => Math.max(r.rows.peer_c1?.images_per_second ?? NaN, r.rows.peer_c8?.images_per_second ?? NaN);
  const batches = Object.keys(rounds[0].rows).filter(k => /^bare_b\d+$/.test(k)).map(k => Number(k.slice(6))).sort((a, b) => a - b);

  lines.push('', `### ${model}`, '', `Median of ${rounds.length} round(s). "vs bare" = images/s over the bare session's best batch size in the same round, then the median.`, '');
  lines.push('| path | images/s | p50 ms | p99 ms | vs bare |', '|---|---|---|---|---|');
  for (const b of batches)
    lines.push(`| 1. bare ORT session, pre-made tensors, batch ${b} (latency per run) | ${f1(get(`bare_b${b}`, 'images_per_second'))} | ${f1(get(`bare_b${b}`, 'p50_ms'))} | ${f1(get(`bare_b${b}`, 'p99_ms'))} | ${pct(ratio(`bare_b${b}`, 'bare'))} |`);
  for (const b of batches.filter(b => rounds[0].rows[`bare_parallel_b${b}`]))
    lines.push(`| 1. bare ORT session, one single-threaded run per core at once, batch ${b} (latency per run) | ${f1(get(`bare_parallel_b${b}`, 'images_per_second'))} | ${f1(get(`bare_parallel_b${b}`, 'p50_ms'))} | ${f1(get(`bare_parallel_b${b}`, 'p99_ms'))} | ${pct(ratio(`bare_parallel_b${b}`, 'bare'))} |`);
  for (const b of batches)
    lines.push(`| engine encoder only, same tensors, batch ${b} | ${f1(get(`encoder_b${b}`, 'images_per_second'))} | ${f1(get(`encoder_b${b}`, 'p50_ms'))} | ${f1(get(`encoder_b${b}`, 'p99_ms'))} | ${pct(ratio(`encoder_b${b}`, 'bare'))} |`);
  lines.push(`| **2. engine in-process: decode + preprocess + inference** | **${f1(get('engine', 'images_per_second'))}** | ${f0(get('engine', 'p50_ms'))} | ${f0(get('engine', 'p99_ms'))} | **${pct(ratio('engine', 'bare'))}** |`);
  lines.push(`| engine's own batches while decoding shares the cores (images/s while inferring, all runners; ms per full batch) | ${f1(get('engine_batches', 'images_per_second'))} | ${f0(get('engine_batches', 'p50_ms'))} | ${f0(get('engine_batches', 'p99_ms'))} | ${pct(ratio('engine_batches', 'bare'))} |`);
  for (const c of [1, 8, 32])
    lines.push(`| ${c === 32 ? '**' : ''}3. HTTP service, concurrency ${c}${c === 32 ? '**' : ''} | ${f1(get(`http_c${c}`, 'images_per_second'))} | ${f0(get(`http_c${c}`, 'p50_ms'))} | ${f0(get(`http_c${c}`, 'p99_ms'))} | ${c === 32 ? '**' : ''}${pct(ratio(`http_c${c}`, 'bare'))}${c === 32 ? '**' : ''} |`);
  for (const c of [1, 8])
    lines.push(`| 4. peer: transformers.js ${rounds[0].transformers ?? ''}, ${rounds[0].how ?? ''}, concurrency ${c} | ${f1(get(`peer_c${c}`, 'images_per_second'))} | ${f0(get(`peer_c${c}`, 'p50_ms'))} | ${f0(get(`peer_c${c}`, 'p99_ms'))} | ${pct(ratio(`peer_c${c}`, 'bare'))} |`);
  const vsPeer = key => median(rounds.map(r => r.rows[key]?.images_per_second / peerBest(r)));
  lines.push('', '| comparison | value |', '|---|---|');
  lines.push(`| ImageEmbed engine ÷ transformers.js (its better concurrency) | **${f1(vsPeer('engine'))}×** |`);
  lines.push(`| ImageEmbed HTTP at concurrency 32 ÷ transformers.js in-process | **${f1(vsPeer('http_c32'))}×** |`);
  lines.push(`| decode + preprocess, 100 dev photos, 1 thread (mean / p50 / p99 ms) | ${f1(1000 / get('decode', 'images_per_second'))} / ${f1(get('decode', 'p50_ms'))} / ${f1(get('decode', 'p99_ms'))} |`);
  lines.push(`| decode + preprocess, 12 MP JPEG, smooth, 0.8 MB (p50 / p99 ms) | **${f1(get('decode_12mp_smooth', 'p50_ms'))}** / ${f1(get('decode_12mp_smooth', 'p99_ms'))} |`);
  lines.push(`| decode + preprocess, 12 MP JPEG, detailed, 3.2 MB (p50 / p99 ms) | ${f1(get('decode_12mp', 'p50_ms'))} / ${f1(get('decode_12mp', 'p99_ms'))} |`);
  lines.push(`| peak memory: bench process (engine + bare session, all batch sizes) / HTTP service / peer (MB) | ${f0(get('peak_mb', 'images_per_second'))} / ${f0(median(rounds.map(r => r.servicePeak)))} / ${f0(get('peer_peak_mb', 'images_per_second'))} |`);
}
// The product's answer to "same model file": the fp32 ViT quantized by `imageembed models quantize`, against
// the peer running the fp32 file the user gave, round by round.
const fp32 = roundsOf['clip-vit-b32-random'], int8 = roundsOf['clip-vit-b32-random-int8'];
if (fp32 && int8) {
  const n = Math.min(fp32.length, int8.length);
  const vsFp32Peer = key => median([...Array(n).keys()].map(i =>
    int8[i].rows[key]?.images_per_second / Math.max(fp32[i].rows.peer_c1?.images_per_second ?? NaN, fp32[i].rows.peer_c8?.images_per_second ?? NaN)));
  lines.push('', '### The fp32 ViT file, served int8 by `imageembed models quantize`, against the peer on that fp32 file', '');
  lines.push('| comparison | value |', '|---|---|');
  lines.push(`| ImageEmbed engine (int8 from the fp32 file) ÷ transformers.js on the fp32 file | **${f1(vsFp32Peer('engine'))}×** |`);
  lines.push(`| ImageEmbed HTTP at concurrency 32 (int8 from the fp32 file) ÷ transformers.js on the fp32 file | **${f1(vsFp32Peer('http_c32'))}×** |`);
}
console.log(lines.join('\n'));
