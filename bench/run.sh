#!/usr/bin/env bash
# One run of the benchmarks, HTTP rows included: starts the service on loopback with a throw-away key,
# runs `imageembed bench` against it and against the in-process engine, then stops the service.
# Usage: bench/run.sh [IMAGES_DIR] [extra bench options...]   (defaults: ../shared/images/dev)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
images="${1:-$root/../shared/images/dev}"
shift || true
export IMAGEEMBED_MODELS_DIR="${IMAGEEMBED_MODELS_DIR:-$root/../shared/models}"
port="${BENCH_PORT:-5099}"
key="bench-$RANDOM$RANDOM"
data="$(mktemp -d)"

IMAGEEMBED_API_KEYS="$key" IMAGEEMBED_DATA_DIR="$data" "$root/imageembed" serve --urls "http://127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$data/serve.log" >&2; echo "bench: the service did not become ready" >&2; exit 1; }

"$root/imageembed" bench --images "$images" --server "http://127.0.0.1:$port" --key "$key" "$@"
# The service's peak resident memory (kB), for the tables of bench/run-all.sh.
if [[ -n "${BENCH_SERVICE_PEAK:-}" ]]; then
  # The launcher execs dotnet, so $server is the service process itself.
  awk '/VmHWM/ { print $2 }' "/proc/$server/status" > "$BENCH_SERVICE_PEAK" || true
fi
