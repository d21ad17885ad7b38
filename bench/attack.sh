#!/usr/bin/env bash
# A small JPEG's latency while other clients send decode-cost bombs (docs/BENCHMARKS.md, "Under a decode-cost attack").
#
#   bench/attack.sh [ATTACKERS] [SECONDS]     defaults: 4 30
#
# Starts `imageembed serve` on loopback; ATTACKERS clients send, back to back, the bombs of issue 19 (made here): a
# 1 x 50,000,000 PNG (195 KB, ~55 s to decode before header limits), a 10000 x 9000 GIF and a 16383 x 6000 lossless WebP
# when python3 has PIL, else the PNG alone; meanwhile one client sends a 32 KB JPEG once a second. Prints each
# bomb's status counts and the JPEG's latencies, and /readyz as seen during the attack.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
attackers="${1:-4}"; seconds="${2:-30}"
port="${BENCH_PORT:-5097}"
. "$root/bench/serve.sh"
serve_on "$port" IMAGEEMBED_MODELS_DIR="${IMAGEEMBED_MODELS_DIR:-$root/../shared/models}"

python3 - "$port" "$attackers" "$seconds" "$root/../shared/images/dev" <<'EOF'
import base64, http.client, json, os, struct, sys, threading, time, zlib
port, attackers, seconds, dev = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

def png(width, height, row):
    def chunk(kind, data): return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    raw = zlib.compress(b''.join(b'\0' + row for _ in range(height)), 9) if height < 1000 else zlib.compress((b'\0' + row) * height, 9)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)) + chunk(b'IDAT', raw) + chunk(b'IEND', b'')

bombs = {'png 1x50000000': png(1, 50_000_000, b'\0')}
try:
    from PIL import Image
    import io
    for name, size, fmt, kw in [('gif 10000x9000', (10000, 9000), 'GIF', {}), ('webp 16383x6000', (16383, 6000), 'WEBP', {'lossless': True})]:
        buf = io.BytesIO(); Image.new('L', size).save(buf, fmt, **kw); bombs[name] = buf.getvalue()
except ImportError:
    pass
jpeg = min((os.path.join(dev, f) for f in os.listdir(dev)), key=lambda p: abs(os.path.getsize(p) - 32_000))
small = json.dumps({'image': 'data:image/jpeg;base64,' + base64.b64encode(open(jpeg, 'rb').read()).decode()}).encode()
print(f'bombs: {", ".join(f"{k} ({len(v) // 1024} KB)" for k, v in bombs.items())}; probe: {os.path.basename(jpeg)} ({os.path.getsize(jpeg) // 1024} KB)')

def post(body, timeout=120):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    c.request('POST', '/api/ai/embeddings', body, {'Content-Type': 'application/json'})
    r = c.getresponse(); r.read(); c.close(); return r.status

stop = time.monotonic() + seconds
statuses = {}
def attack(i):
    names = list(bombs)
    n = i
    while time.monotonic() < stop:
        name = names[n % len(names)]; n += 1
        body = json.dumps({'image': 'data:image/png;base64,' + base64.b64encode(bombs[name]).decode()}).encode()
        s = post(body)
        statuses.setdefault(name, {}).setdefault(s, 0); statuses[name][s] += 1
threads = [threading.Thread(target=attack, args=(i,)) for i in range(attackers)]
for t in threads: t.start()
time.sleep(1)
latencies, ready = [], {}
while time.monotonic() < stop - 1:
    t0 = time.monotonic(); s = post(small); latencies.append((time.monotonic() - t0, s))
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10); c.request('GET', '/readyz'); r = c.getresponse(); r.read()
    ready[r.status] = ready.get(r.status, 0) + 1
    time.sleep(max(0, 1 - (time.monotonic() - t0)))
for t in threads: t.join()
for name, counts in statuses.items(): print(f'{name}: ' + ', '.join(f'{n} x {s}' for s, n in sorted(counts.items())))
ok = sorted(l for l, s in latencies if s == 200)
print(f'small JPEG: {len(ok)} of {len(latencies)} answered 200; median {ok[len(ok) // 2] * 1000:.0f} ms, max {ok[-1] * 1000:.0f} ms' if ok else 'small JPEG: none answered')
print('/readyz during the attack: ' + ', '.join(f'{n} x {s}' for s, n in sorted(ready.items())))
EOF
