#!/usr/bin/env bash
# Fetches the native libraries ImageEmbed binds to, from the npm registry, into .native/lib, and the
# TensorFlow.js model the importer tests convert (nsfwjs's MobileNetV2, MIT) into .native/nsfwjs.
# Idempotent: a stamp per part naming the pinned versions makes a second run a no-op.
# Override with IMAGEEMBED_ONNXRUNTIME_PATH / IMAGEEMBED_LIBVIPS_PATH to use other copies instead.
set -euo pipefail

ORT_PACKAGE="onnxruntime-node@1.30.0"
VIPS_PACKAGE="@img/sharp-libvips-linux-x64@1.3.4"   # libvips 8.18.7
NSFWJS_PACKAGE="nsfwjs@4.3.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${IMAGEEMBED_NATIVE_DIR:-$root/.native}"
stamp="$dest/lib/.stamp"
want="$ORT_PACKAGE $VIPS_PACKAGE"
nsfwjs_stamp="$dest/nsfwjs/.stamp"

libs_current() { [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; }
nsfwjs_current() { [[ -f "$nsfwjs_stamp" && "$(cat "$nsfwjs_stamp")" == "$NSFWJS_PACKAGE" ]]; }

if libs_current && nsfwjs_current; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-native: npm is needed to fetch $ORT_PACKAGE, $VIPS_PACKAGE and $NSFWJS_PACKAGE (apt-get install npm)," >&2
  echo "  or set IMAGEEMBED_ONNXRUNTIME_PATH and IMAGEEMBED_LIBVIPS_PATH to existing copies." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! libs_current; then
  echo "fetch-native: downloading $ORT_PACKAGE and $VIPS_PACKAGE from the npm registry" >&2
  # `npm pack` fetches the tarball only: no dependencies, no install scripts
  # (onnxruntime-node's script would download CUDA files that cannot be reached).
  (cd "$work" && npm pack --silent "$ORT_PACKAGE" "$VIPS_PACKAGE" >/dev/null 2>"$work/npm.log") || {
    cat "$work/npm.log" >&2; exit 1; }

  mkdir -p "$work/ort" "$work/vips" "$dest/lib"
  tar -xzf "$work"/onnxruntime-node-*.tgz -C "$work/ort" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  tar -xzf "$work"/img-sharp-libvips-linux-x64-*.tgz -C "$work/vips" package/lib package/versions.json
  install -m 0644 "$work/ort/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$dest/lib/libonnxruntime.so.1"
  vips_so="$(ls "$work"/vips/package/lib/libvips-cpp.so.*)"
  install -m 0644 "$vips_so" "$dest/lib/libvips-cpp.so"
  install -m 0644 "$work/vips/package/versions.json" "$dest/lib/libvips-versions.json"
  echo "$want" > "$stamp"
  echo "fetch-native: installed into $dest/lib" >&2
fi

if ! nsfwjs_current; then
  echo "fetch-native: downloading $NSFWJS_PACKAGE from the npm registry" >&2
  (cd "$work" && npm pack --silent "$NSFWJS_PACKAGE" >/dev/null 2>"$work/npm-nsfwjs.log") || {
    cat "$work/npm-nsfwjs.log" >&2; exit 1; }

  # Only the MobileNetV2 graph model (model.min.js and its two weight shards, ~5.9 MB of the 25 MB package).
  mkdir -p "$work/nsfwjs"
  tar -xzf "$work"/nsfwjs-*.tgz -C "$work/nsfwjs" package/dist/models/mobilenet_v2_mid
  rm -rf "$dest/nsfwjs"
  mkdir -p "$dest/nsfwjs/mobilenet_v2_mid"
  install -m 0644 "$work"/nsfwjs/package/dist/models/mobilenet_v2_mid/* "$dest/nsfwjs/mobilenet_v2_mid/"
  echo "$NSFWJS_PACKAGE" > "$nsfwjs_stamp"
  echo "fetch-native: installed $NSFWJS_PACKAGE mobilenet_v2_mid into $dest/nsfwjs" >&2
fi
