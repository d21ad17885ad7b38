# Sourced by bench/memory.sh and bench/attack.sh (needs $root): starts `imageembed serve` on loopback with a fresh
# data folder, no API key and no model download, and waits for /readyz.
#
#   serve_on PORT [VAR=value ...]
#
# Sets $server (the service's pid: the launcher execs dotnet) and $data (the data folder, serve.log inside); on exit
# the service is stopped and the folder removed.
serve_on() {
  local port="$1"; shift
  data="$(mktemp -d)"
  env IMAGEEMBED_DATA_DIR="$data" IMAGEEMBED_AUTO_PULL=false "$@" \
    "$root/imageembed" serve --urls "http://127.0.0.1:$port" --no-auth >"$data/serve.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
    kill -0 "$server" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
    sleep 0.2
  done
}
