#!/usr/bin/env bash
# Every benchmark row for both models, in one run, on this machine: the bare ONNX Runtime session, the
# engine in-process, the HTTP service at concurrency 1/8/32, and the transformers.js peer on the same
# model file and images. Repeats ROUNDS times (the machine is shared: medians, not single runs) and writes
# bench/out/BENCHMARKS.md (tables) plus one JSON file per round and model.
# Usage: bench/run-all.sh [IMAGES_DIR]   env: ROUNDS (3), SECONDS_PER_ROW (5)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images="$(cd "${1:-$root/../shared/images/dev}" && pwd)"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_ROW:-5}"
out="$root/bench/out"
mkdir -p "$out/models" "$out/peer-models/mobilenet-v2-140" "$out/rounds"
rm -f "$out"/rounds/*.json

# The peer: @huggingface/transformers with install scripts disabled. onnxruntime-node carries its CPU
# binary inside the npm package (the script only fetches CUDA files); sharp's binary comes from the
# @img/sharp-* optional dependencies. So nothing is missing without the scripts.
if [[ ! -d "$root/bench/peer/node_modules/@huggingface/transformers" ]]; then
  (cd "$root/bench/peer" && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi

# The full-size ViT-B/32-shaped CLIP vision tower (random weights, ~350 MB, not committed), and its int8
# variant made from that file by the product's quantizer (linear layers dynamically quantized, ~90 MB; the
# same HF folder layout, so the peer loads it too). The quantizer's parity check goes to quantize.txt.
[[ -f "$out/models/clip-vit-b32-random/onnx/vision_model.onnx" ]] || "$root/imageembed" bench --make-vit "$out/models" >/dev/null
IMAGEEMBED_MODELS_DIR="$out/models" "$root/imageembed" models quantize clip-vit-b32-random --images "$images" --seconds 0 --force \
  >"$out/quantize.txt"

# mobilenet-v2-140 for the peer: the same model.onnx (a link), the recipe as a transformers.js
# preprocessor config (squash to 224x224, bilinear, /255, no normalization), input/output names and layout.
peer_mobilenet="$out/peer-models/mobilenet-v2-140"
ln -sfn "$(cd "$root/../shared/models/mobilenet-v2-140" && pwd)/model.onnx" "$peer_mobilenet/model.onnx"
cat > "$peer_mobilenet/preprocessor_config.json" <<'JSON'
{ "image_processor_type": "ImageProcessor", "do_resize": true, "size": { "height": 224, "width": 224 }, "resample": 2,
  "do_center_crop": false, "do_rescale": true, "rescale_factor": 0.00392156862745098, "do_normalize": false, "do_convert_rgb": true }
JSON
echo '{ "image": { "file": "model.onnx", "input": "input", "output": "embedding", "layout": "nhwc" } }' > "$peer_mobilenet/peer.json"

for round in $(seq 1 "$rounds"); do
  for model in mobilenet-v2-140 clip-vit-b32-random clip-vit-b32-random-int8; do
    if [[ "$model" == mobilenet-v2-140 ]]; then
      models_dir="$root/../shared/models"; peer_dir="$out/peer-models"; batches="1,8,32"
    else
      models_dir="$out/models"; peer_dir="$out/models"; batches="1,8"
    fi
    echo "run-all: round $round, $model" >&2
    IMAGEEMBED_MODELS_DIR="$models_dir" IMAGEEMBED_DEFAULT_MODEL="$model" BENCH_SERVICE_PEAK="$out/rounds/$model-$round-service-peak" \
      "$root/bench/run.sh" "$images" --model "$model" --seconds "$seconds" --batch-sizes "$batches" \
      --json "$out/rounds/$model-$round.json" >"$out/rounds/$model-$round.md"
    (cd "$root/bench/peer" && node peer.mjs --models "$peer_dir" --model "$model" --images "$images" \
      --seconds "$seconds" --concurrency 1,8 --json "$out/rounds/$model-$round-peer.json" >/dev/null)
  done
done

node "$root/bench/report.mjs" "$out/rounds" > "$out/BENCHMARKS.md"
cat "$out/BENCHMARKS.md"
