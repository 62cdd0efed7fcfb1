#!/usr/bin/env bash
# Enrollment throughput measured with wrk, a C client that costs the machine a tenth of what `beacon loadtest enroll`
# (the JDK's HTTP client) costs per claim, so that on a 2-core machine the figure is the server's, not the client's.
# The server runs on CPU 0, wrk on CPU 1; each run prints claims/s, latency and the server's CPU per claim (from /proc).
# usage: bench/enroll-wrk.sh JAR LABEL PORT sqlite|pg [RUNS] [SECONDS]
#   env: CONCURRENCY (default 8), WARMUP_SECONDS (default 20), SERVER_OPTS (the server's JVM options instead of the
#        launcher's). Needs wrk (apt install wrk), curl and jq; on pg, PostgreSQL at 127.0.0.1:5432 (user postgres, trust).
set -euo pipefail
jar=$1; label=$2; port=$3; database=$4; runs=${5:-3}; seconds=${6:-15}
here=$(cd "$(dirname "$0")" && pwd)
java=$(BEACON_PRINT_JAVA=1 "$here/../beacon")
server_opts=${SERVER_OPTS-$(BEACON_PRINT_SERVER_OPTS=1 "$here/../beacon")}
concurrency=${CONCURRENCY:-8}
dir=/tmp/bench-wrk-$label-$database; rm -rf "$dir"; mkdir -p "$dir"
args=(--port "$port" --data-dir "$dir")
if [ "$database" = pg ]; then
  db=beacon_wrk_${label//[^a-z0-9]/_}
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
  args+=(--database-url "jdbc:postgresql://127.0.0.1:5432/$db?user=postgres")
fi
BEACON_ADMIN_PASSWORD=bench-password-1 taskset -c 0 "$java" --enable-native-access=ALL-UNNAMED $server_opts -jar "$jar" server "${args[@]}" > "$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 1 120); do curl -sf "$url/readyz" >/dev/null && break; sleep 0.5; done
api_key=$("$java" --enable-native-access=ALL-UNNAMED -jar "$jar" admin api-key create --name bench "${args[@]:2}" | tail -1)
post() { curl -sf -H "X-Beacon-API-Key: $api_key" -H 'Content-Type: application/json' -d "$2" "$url$1"; }
site=$(post /api/sites '{"name":"wrk"}' | jq -r .id)
fleet=$(post /api/fleets "{\"site_id\":\"$site\",\"name\":\"wrk\"}" | jq -r .id)
export EK; EK=$(post /api/enrollment-keys "{\"site_id\":\"$site\",\"fleet_id\":\"$fleet\",\"name\":\"wrk\",\"max_uses\":1000000,\"expires_in_hours\":24}" | jq -r .key_value)
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
claims() { curl -sf "$url/metrics" | awk '/^beacon_enrollments_total\{/ && /outcome="enrolled"/ { s += $NF } END { printf "%d", s }'; }
RUN=warm taskset -c 1 wrk -t1 -c"$concurrency" -d"${WARMUP_SECONDS:-20}s" -s "$here/enroll.lua" "$url" > "$dir/warmup.txt"
for r in $(seq 1 "$runs"); do
  before=$(cpu_ticks); claims_before=$(claims)
  RUN=r$r taskset -c 1 wrk -t1 -c"$concurrency" -d"${seconds}s" --latency -s "$here/enroll.lua" "$url" > "$dir/run-$r.txt"
  after=$(cpu_ticks); claims_after=$(claims)
  n=$((claims_after - claims_before))
  rate=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$dir/run-$r.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$dir/run-$r.txt"); p99=$(awk '$1 == "99%" { print $2 }' "$dir/run-$r.txt")
  refused=$(awk -F': ' '/not answered 201/ { print $2 }' "$dir/run-$r.txt")
  echo "$label $database c=$concurrency: $rate claims/s, p50 $p50, p99 $p99, server CPU $(( (after - before) * 1000000 / hz / (n > 0 ? n : 1) )) µs/claim ($n claims, $refused not 201; load $(cut -d' ' -f1-3 /proc/loadavg))"
done
