#!/usr/bin/env bash
# Retention soak (docs/benchmarks.md, "Retention soak"), run by hand, never in CI: one server with short retention
# (RETAIN, default 10m, for finished jobs and their output) runs `beacon loadtest jobs` until JOBS echo jobs (default
# 1,000,000) have finished, while a probe on the load generator's core submits a job every 200 ms (one no machine can
# run, cancelled at once, so it is finished and prunable) and lists the newest 50 jobs. Every 30 s one line: the
# database's size on disk (SQLite: the file, and its write-ahead log apart), the jobs table's row estimate, rows pruned so far, jobs finished, and the probe's submit and
# list latency (p50 / p99) in that window, marked "pruning" when the pruner deleted rows during it. The server runs on
# CPU 0, the load generator and the probe on CPU 1.
# usage: bench/soak-retention.sh JAR sqlite|postgres [JOBS] [RETAIN] [RATE]     e.g. bench/soak-retention.sh target/beacon.jar sqlite
# RATE: jobs per second to submit (default 0, as fast as the server takes them); a steady rate shows a steady state.
# Needs, for postgres, PostgreSQL at 127.0.0.1:5432 (user postgres, trust); the database beacon_soak is dropped first.
set -euo pipefail
jar=$1; backend=$2; jobs=${3:-1000000}; retain=${4:-10m}; rate=${5:-0}; port=${PORT:-18990}
java=$(BEACON_PRINT_JAVA=1 "$(dirname "$0")/../beacon")
# The options `beacon server` adds (the collector and its memory settings), so a benchmark runs the server as users do.
server_opts=$(BEACON_PRINT_SERVER_OPTS=1 "$(dirname "$0")/../beacon")
dir=/tmp/bench-soak-$backend; rm -rf "$dir"; mkdir -p "$dir/data"
db_args=()
if [ "$backend" = postgres ]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS beacon_soak" >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE beacon_soak" >/dev/null
  db_args=(--database-url "jdbc:postgresql://127.0.0.1:5432/beacon_soak?user=postgres")
fi
export BEACON_SECRET_KEY; BEACON_SECRET_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
beacon() { "$java" --enable-native-access=ALL-UNNAMED -jar "$jar" "$@"; }
start_server() { # name: on PostgreSQL the first node's lease outlives its stop for a few seconds, so each start has its own
  BEACON_ADMIN_PASSWORD=soak-password-1 taskset -c 0 "$java" --enable-native-access=ALL-UNNAMED $server_opts -jar "$jar" server \
    --host 127.0.0.1 --port "$port" --data-dir "$dir/data" "${db_args[@]}" --retain-jobs "$retain" --retain-job-output "$retain" \
    --node-name "$1" \
    >> "$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.5; done
  echo "✗ the server did not start: $dir/server.log" >&2; exit 1
}
trap 'kill $server 2>/dev/null || true' EXIT
start_server soak-setup; kill $server; wait $server || true   # creates the database; a SQLite one takes no second process
key=$(beacon admin api-key create --name soak --data-dir "$dir/data" "${db_args[@]}" | tail -1)
start_server soak
grep -m1 "retention:" "$dir/server.log"

taskset -c 1 "$java" -jar "$jar" loadtest jobs --server "http://127.0.0.1:$port" --api-key "$key" --agents 100 \
  --count "$jobs" --rate "$rate" --concurrency 16 --duration 10800 --json "$dir/loadtest.json" > "$dir/loadtest.txt" 2>&1 &
loader=$!
echo "   min  size MB  WAL MB  jobs rows  pruned  finished  submit p50/p99 ms  list p50/p99 ms  server RSS MB  load"
taskset -c 1 python3 - "$port" "$key" "$loader" "$server" "$backend" "$dir/data" <<'PY'
import http.client, json, os, re, sys, time
port, key, loader, server, backend, data = sys.argv[1:7]
headers = {"X-Beacon-API-Key": key, "Content-Type": "application/json"}
conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)

def call(method, path, body=None):
    global conn
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse(); text = response.read()
    except (OSError, http.client.HTTPException):
        conn.close(); conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
        return None, (time.perf_counter() - started) * 1000
    return (json.loads(text) if response.status < 300 and text else None), (time.perf_counter() - started) * 1000

last_metrics = {"pruned": 0, "rows": 0, "size": 0, "finished": 0}
def metrics():  # the last figures again, marked, when a scrape does not answer within 10 s
    global last_metrics
    try:
        conn2 = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        conn2.request("GET", "/metrics"); text = conn2.getresponse().read().decode(); conn2.close()
    except (OSError, http.client.HTTPException):
        print("(a /metrics scrape took more than 10 s)", flush=True)
        return last_metrics
    def value(pattern):
        return sum(float(m.group(1)) for m in re.finditer(r"^" + pattern + r"(?:\{[^}]*\})? ([0-9.eE+]+)$", text, re.M))
    last_metrics = {"pruned": value(r'beacon_retention_pruned_total\{[^}]*kind="jobs"[^}]*\}'),
                    "rows": value(r'beacon_database_rows_estimate\{[^}]*table="jobs"[^}]*\}'),
                    "size": value(r"beacon_database_size_bytes"),
                    "finished": value(r"beacon_jobs_settled_total")}
    return last_metrics

def on_disk():  # the database, and (SQLite) its write-ahead log beside it
    if backend == "sqlite":
        size = lambda name: os.path.getsize(name) if os.path.exists(name) else 0
        return size(data + "/beacon.db"), size(data + "/beacon.db-wal")
    return metrics()["size"], 0

def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0

def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values); return values[min(len(values) - 1, int(len(values) * p / 100))]

probe = json.dumps({"kind": "soak-probe", "payload": {}, "target": {"capabilities": ["soak-probe"]}, "max_attempts": 1})
started = time.time(); window_start = started; submit, listing = [], []
last = metrics()
while True:
    alive = os.path.exists(f"/proc/{loader}")
    job, ms = call("POST", "/api/jobs", probe); submit.append(ms)
    if job and "id" in job:
        call("POST", f"/api/jobs/{job['id']}/cancel", "{}")
    _, ms = call("GET", "/api/jobs?limit=50"); listing.append(ms)
    if time.time() - window_start >= 30 or not alive:
        now = metrics()
        pruning = "pruning" if now["pruned"] > last["pruned"] else ""
        load = open("/proc/loadavg").read().split()[0]
        db_bytes, wal_bytes = on_disk()
        print(f"{(time.time() - started) / 60:6.1f}  {db_bytes / 1e6:7.1f}  {wal_bytes / 1e6:6.1f}  {now['rows']:9.0f}  {now['pruned']:7.0f}  {now['finished']:8.0f}  "
              f"{pct(submit, 50):6.1f} / {pct(submit, 99):6.1f}    {pct(listing, 50):6.1f} / {pct(listing, 99):6.1f}   "
              f"{rss(server):8.0f}  {load}  {pruning}", flush=True)
        last = now; window_start = time.time(); submit, listing = [], []
    if not alive:
        break
    time.sleep(0.2)
PY
wait $loader || true
tail -5 "$dir/loadtest.txt"
grep -E "pruned|retention" "$dir/server.log" | tail -5
