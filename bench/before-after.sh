#!/usr/bin/env bash
# Enrollment and echo-jobs throughput of one server build, with the server's CPU time per operation, for
# before/after comparisons of a change (docs/performance.md). The server runs on CPU 0 and the load generator on
# CPU 1 (taskset), so that on a 2-core machine they do not take each other's core.
# usage: bench/before-after.sh JAR LABEL PORT sqlite|pg
#   env: SCENARIOS (enroll jobs dispatch), ENROLL_WARMUPS / JOB_WARMUPS (runs before measuring, default 1),
#        LOADTEST_JAR (the load generator's build; default JAR),
#        SERVER_OPTS (the server's JVM options instead of the launcher's; empty: the JVM's own choices)
#   e.g. bench/before-after.sh /tmp/beacon-base.jar base 18710 sqlite
# Prints one line per measured run: label, database, scenario, operations/s, latency percentiles, server CPU µs/op
# (on SQLite also the writer thread's share of it).
set -euo pipefail
jar=$1; label=$2; port=$3; database=$4
java=$(BEACON_PRINT_JAVA=1 "$(dirname "$0")/../beacon")
# The options `beacon server` adds (the collector and its memory settings), so a benchmark runs the server as users do.
server_opts=${SERVER_OPTS-$(BEACON_PRINT_SERVER_OPTS=1 "$(dirname "$0")/../beacon")}
dir=/tmp/bench-ba-$label-$database; rm -rf "$dir"; mkdir -p "$dir"
args=(--port "$port" --data-dir "$dir")
if [ "$database" = pg ]; then
  db=beacon_ba_${label//[^a-z0-9]/_}
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
  args+=(--database-url "jdbc:postgresql://127.0.0.1:5432/$db?user=postgres")
fi
BEACON_ADMIN_PASSWORD=bench-password-1 taskset -c 0 "$java" --enable-native-access=ALL-UNNAMED $server_opts -jar "$jar" server "${args[@]}" > "$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
key=$("$java" --enable-native-access=ALL-UNNAMED -jar "$jar" admin api-key create --name bench "${args[@]:2}" | tail -1)
load() { taskset -c 1 "$java" -jar "${LOADTEST_JAR:-$jar}" loadtest "$@" --server "http://127.0.0.1:$port" --api-key "$key"; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$pid/stat"; }
# the SQLite writer thread's CPU seconds (0 on PostgreSQL, which has no such thread): the one thread every write waits for
writer_seconds() {
  local task
  for task in /proc/"$pid"/task/*; do
    if [ "$(cat "$task/comm" 2>/dev/null)" = beacon-sqlite-w ]; then
      sed 's/.*) //' "$task/stat" | awk -v hz="$(getconf CLK_TCK)" '{ print ($12 + $13) / hz }'; return
    fi
  done
  echo 0
}
measure() { # name count json-file, then the loadtest arguments
  local name=$1 count=$2 json=$3; shift 3
  local before after writer_before writer_after
  before=$(cpu_seconds); writer_before=$(writer_seconds)
  load "$@" --json "$json" > "$dir/$name.txt" 2>&1
  after=$(cpu_seconds); writer_after=$(writer_seconds)
  python3 - "$label" "$database" "$name" "$json" "$before" "$after" "$count" "$writer_before" "$writer_after" <<'PY'
import json, sys
label, database, name, path, before, after, count, writer_before, writer_after = sys.argv[1:10]
r = json.load(open(path))
s = r.get("summary") or r.get("result", {}).get("dispatch", {})
rate = r.get("result", {}).get("end_to_end_per_second") or s.get("per_second")
# the server's own figure over the measured phase when the load generator reports it; else the whole command's
cpu = r.get("server_cpu_us_per_job") or r.get("server_cpu_us_per_claim") or (float(after) - float(before)) / int(count) * 1e6
print(f"{label:>10} {database:<6} {name:<9} {rate:8.0f}/s  p50 {s.get('p50_ms', 0):6.1f} ms  p99 {s.get('p99_ms', 0):6.1f} ms  "
      f"server CPU {cpu:5.0f} µs/op" + (f", writer {(float(writer_after) - float(writer_before)) / int(count) * 1e6:4.0f}"
      if database == "sqlite" else "") + f"  ({count} ops)")
PY
}
scenarios=" ${SCENARIOS:-enroll jobs} "   # any of: enroll jobs dispatch
if [[ $scenarios == *" enroll "* ]]; then
  for _ in $(seq 1 "${ENROLL_WARMUPS:-1}"); do   # ENROLL_WARMUPS=5: 40,000 claims first
    load enroll --count 8000 --concurrency 8 > "$dir/enroll-warmup.txt" 2>&1
  done
  measure enroll-c8 8000 "$dir/enroll-c8.json" enroll --count 8000 --concurrency 8
fi
if [[ $scenarios == *" jobs "* || $scenarios == *" dispatch "* ]]; then
  for _ in $(seq 1 "${JOB_WARMUPS:-1}"); do   # JOB_WARMUPS=5: 30,000 jobs first, so that C2 has compiled the path
    load jobs --agents 100 --count 6000 --concurrency 16 > "$dir/jobs-warmup.txt" 2>&1
  done
fi
if [[ $scenarios == *" jobs "* ]]; then
  measure jobs-max 6000 "$dir/jobs-max.json" jobs --agents 100 --count 6000 --concurrency 16
fi
if [[ $scenarios == *" dispatch "* ]]; then   # submit → agent latency at a steady 500 jobs/s
  measure dispatch 5000 "$dir/dispatch.json" jobs --agents 100 --count 5000 --rate 500 --concurrency 16
fi
