#!/usr/bin/env bash
# Start-up time and idle memory of a published `imageembed serve` (docs/BENCHMARKS.md).
#
#   bench/startup.sh DIR [RUNS]
#
# DIR is a published folder (scripts/publish.sh). Runs with an empty environment (env -i), a fresh data folder and
# no model download (IMAGEEMBED_AUTO_PULL=false), so the first start installs the offline model; then RUNS restarts
# (default 5) on that folder. Reports seconds from exec to /readyz 200 (the model loaded), the resident memory 10 s
# after ready, and `imageembed --version` (a CLI start).
set -euo pipefail
dir="$(cd "$1" && pwd)"; runs="${2:-5}"
port=5199
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT

start() { # prints "seconds rss_mib"
  local t0 pid rss
  t0=$(date +%s.%N)
  env -i HOME="$home" PATH=/usr/bin:/bin IMAGEEMBED_DATA_DIR="$home/data" IMAGEEMBED_AUTO_PULL=false ${STARTUP_ENV:-} \
    "$dir/imageembed" serve --urls "http://127.0.0.1:$port" --no-auth >"$home/log" 2>&1 &
  pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
    kill -0 "$pid" 2>/dev/null || { cat "$home/log" >&2; exit 1; }
    sleep 0.05
  done
  local ready; ready=$(echo "$(date +%s.%N) - $t0" | bc)
  sleep 10
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  printf '%.2f %s\n' "$ready" "$rss"
}

echo "first start (fresh data folder; installs resnet18-imagenet if no model is there): $(start)"
for i in $(seq 1 "$runs"); do echo "restart $i: $(start)"; done
t0=$(date +%s.%N); "$dir/imageembed" --version >/dev/null; echo "imageembed --version: $(echo "$(date +%s.%N) - $t0" | bc) s"
