#!/usr/bin/env bash
# Self-contained releases of `imageembed` (CLI and service in one executable) for each platform, from this machine:
# no .NET and no npm needed where they run. Each folder carries its platform's ONNX Runtime, libvips and SQLite.
#
#   scripts/publish.sh [--out DIR] [--gpu] [--artifacts-path DIR] [RID ...]
#
# RIDs default to linux-x64 linux-arm64 osx-arm64 win-x64; folders go to DIR/imageembed-RID (default: publish/).
# --gpu builds linux-x64 with the CUDA ONNX Runtime (Microsoft.ML.OnnxRuntime.Gpu.Linux, ~0.5 GB; docs/DEPLOY.md).
# --artifacts-path keeps intermediate files out of the source tree (bin/ and obj/ go there).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/publish"
extra=()
rids=()
while (( $# > 0 )); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --gpu) extra+=(-p:ImageEmbedGpu=true); shift ;;
    --artifacts-path) extra+=(--artifacts-path "$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "publish.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) rids+=("$1"); shift ;;
  esac
done
(( ${#rids[@]} > 0 )) || rids=(linux-x64 linux-arm64 osx-arm64 win-x64)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

for rid in "${rids[@]}"; do
  dir="$out/imageembed-$rid"
  rm -rf "$dir"
  echo "publish.sh: $rid -> $dir" >&2
  dotnet publish "$root/src/ImageEmbed.Cli/ImageEmbed.Cli.csproj" -c Release -r "$rid" --self-contained -o "$dir" \
    -nologo -v quiet -clp:ErrorsOnly ${extra[@]+"${extra[@]}"}
  echo "publish.sh: $rid: $(du -sh "$dir" | cut -f1)" >&2
done
