#!/usr/bin/env bash
# Memory under a burst of large embedding batches (docs/BENCHMARKS.md, "Memory under concurrent batches").
#
#   bench/memory.sh [CLIENTS] [IMAGES_PER_REQUEST] [MODEL_DIR]     defaults: 16 128 ../shared/models
#
# Starts `imageembed serve` on loopback with a fresh data folder, waits 10 s after /readyz and reads the resident
# memory (idle after start); then CLIENTS clients each send one POST /v1/embeddings of IMAGES_PER_REQUEST data-URI
# images (../shared/images/dev, cycled) at once, while the script samples the service's RSS every 100 ms (peak);
# then reads RSS 45 s after the last response (after-idle). Prints the status codes and seconds each client got.
# MEMORY_RETRY=1: a client refused with 503 waits its Retry-After and sends again, until all are served.
# Extra service settings: MEMORY_ENV="IMAGEEMBED_X=1 ...".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clients="${1:-16}"; per="${2:-128}"; models="$(cd "${3:-$root/../shared/models}" && pwd)"
images="$root/../shared/images/dev"
port="${BENCH_PORT:-5098}"
. "$root/bench/serve.sh"
serve_on "$port" IMAGEEMBED_MODELS_DIR="$models" ${MEMORY_ENV:-}
rss() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status"; }
sleep 10
echo "idle after start: $(rss) MiB"

python3 - "$port" "$clients" "$per" "$images" "$server" "${MEMORY_RETRY:-0}" <<'EOF'
import base64, http.client, json, os, sys, threading, time
port, clients, per, folder, pid, retry = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6] == '1'
files = sorted(f for f in os.listdir(folder) if f.lower().endswith(('.jpeg', '.jpg', '.png')))
uris = ['data:image/jpeg;base64,' + base64.b64encode(open(os.path.join(folder, f), 'rb').read()).decode() for f in files]
body = json.dumps({'input': [uris[i % len(uris)] for i in range(per)], 'model': 'default'}).encode()
print(f'{clients} clients x {per} images, {len(body) / 2**20:.1f} MiB of JSON each')

def rss():
    with open(f'/proc/{pid}/status') as f:
        return next(int(l.split()[1]) // 1024 for l in f if l.startswith('VmRSS'))
peak, done = [0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss()); time.sleep(0.1)
results = [None] * clients
def client(i):
    t0, tries = time.monotonic(), 0
    while True:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
        c.request('POST', '/v1/embeddings', body, {'Content-Type': 'application/json'})
        r = c.getresponse(); r.read(); c.close(); tries += 1
        if not (retry and r.status == 503): break
        time.sleep(int(r.getheader('Retry-After') or '1'))
    results[i] = (r.status, time.monotonic() - t0, r.getheader('Retry-After'), tries)
sampler = threading.Thread(target=sample); sampler.start()
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
t0 = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
wall = time.monotonic() - t0
done.set(); sampler.join()
codes = {}
for status, *_ in results: codes[status] = codes.get(status, 0) + 1
print('statuses:', ', '.join(f'{n} x {s}' for s, n in sorted(codes.items())), f'in {wall:.1f} s')
for s in sorted(codes):
    ts = sorted(t for st, t, *_ in results if st == s); ra = sorted({r for st, _, r, _ in results if st == s and r})
    tries = sum(n for st, *_, n in results if st == s)
    print(f'  {s}: first {ts[0]:.2f} s, last {ts[-1]:.2f} s' + (f', Retry-After {",".join(ra)}' if ra else '') + (f', {tries} requests sent' if retry else ''))
print(f'peak during the burst: {peak[0]} MiB (sampled every 100 ms)')
EOF
sleep 45
echo "45 s after the last response: $(rss) MiB"
grep -h "trimmed\|DEBUG" "$data/serve.log" | tail -3 || true
awk '/VmHWM/ { printf "high-water mark (VmHWM): %.0f MiB\n", $2 / 1024 }' "/proc/$server/status"
