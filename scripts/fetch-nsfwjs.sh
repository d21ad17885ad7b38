#!/usr/bin/env bash
# Test fixture, not a build step: fetches the TensorFlow.js MobileNetV2 of the npm package nsfwjs@4.3.0
# (MIT) into .native/nsfwjs for the TF.js importer's tests (tests/Shared/NsfwjsFixture.cs runs it on first
# use; `imageembed models import-tfjs` can install it as mobilenet-v2-140), and keeps the tarball for the
# tests of `models pull mobilenet-v2-140`. Needs npm; the product does not.
# Idempotent: a stamp naming the version makes a second run a no-op.
set -euo pipefail

NSFWJS_PACKAGE="nsfwjs@4.3.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${IMAGEEMBED_NATIVE_DIR:-$root/.native}"
stamp="$dest/nsfwjs/.stamp"
want="$NSFWJS_PACKAGE with tarball"

[[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && exit 0

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-nsfwjs: npm is needed to fetch $NSFWJS_PACKAGE for the importer's tests (apt-get install npm)." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetch-nsfwjs: downloading $NSFWJS_PACKAGE from the npm registry" >&2
# `npm pack` fetches the tarball only: no dependencies, no install scripts.
(cd "$work" && npm pack --silent "$NSFWJS_PACKAGE" >/dev/null 2>"$work/npm.log") || { cat "$work/npm.log" >&2; exit 1; }

# Only the MobileNetV2 graph model (model.min.js and its two weight shards, ~5.9 MB of the 25 MB package).
mkdir -p "$work/nsfwjs"
tar -xzf "$work"/nsfwjs-*.tgz -C "$work/nsfwjs" package/dist/models/mobilenet_v2_mid
rm -rf "$dest/nsfwjs"
mkdir -p "$dest/nsfwjs/mobilenet_v2_mid"
install -m 0644 "$work"/nsfwjs/package/dist/models/mobilenet_v2_mid/* "$dest/nsfwjs/mobilenet_v2_mid/"
# The tarball itself too: the tests of `models pull mobilenet-v2-140` serve it from a loopback registry.
install -m 0644 "$work"/nsfwjs-*.tgz "$dest/nsfwjs/nsfwjs-4.3.0.tgz"
echo "$want" > "$stamp"
echo "fetch-nsfwjs: installed $NSFWJS_PACKAGE mobilenet_v2_mid into $dest/nsfwjs" >&2
