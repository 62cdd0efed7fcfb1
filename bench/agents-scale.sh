#!/usr/bin/env bash
# 19,000 idle agents on one server build: memory per connection after a full GC and server CPU per heartbeat, and
# with `storm`, the time for all of them to come back after the server is restarted on the same data.
# With `marginal`, two steady runs on fresh servers, COUNT/2 agents and COUNT agents, and the memory one more
# connection takes: the difference of their resident memory after a full GC over the difference in agents. The steady
# figure divides by all agents what grew since the idle server started, which includes what any server grows once it
# has run a while (the JIT's compiled code, threads, class metadata).
# The server runs on CPU 0 and the load generator (three worker processes) on CPU 1 (taskset).
# usage: [SERVER_JAVA_OPTS=...] [LOADTEST_JAR=...] bench/agents-scale.sh JAR LABEL PORT [steady|storm|marginal] [COUNT]
#   LOADTEST_JAR: the build whose `loadtest agents` drives the server (default JAR), to compare servers with one client
#   e.g. bench/agents-scale.sh /tmp/beacon-base.jar base 18730 steady
set -euo pipefail
jar=$1; label=$2; port=$3; mode=${4:-steady}; count=${5:-19000}
java=$(BEACON_PRINT_JAVA=1 "$(dirname "$0")/../beacon")
# The options `beacon server` adds (the collector and its memory settings), so a benchmark runs the server as users do.
server_opts=$(BEACON_PRINT_SERVER_OPTS=1 "$(dirname "$0")/../beacon")
if [ "$mode" = marginal ]; then
  # "resident_mb" of the report's "loaded" part (after a full GC), and "connected"
  figure() { awk -v part="\"$2\"" '$1 == part {inside = 1} inside && $1 == "\"resident_mb\"" {sub(",", "", $3); print $3; exit}' "$1"; }
  connected() { awk '$1 == "\"connected\"" {sub(",", "", $3); print $3; exit}' "$1"; }
  { bash "$0" "$jar" "$label-half" "$port" steady $((count / 2)) || true; } | grep -e '^server  *rss' -e '^load average'
  { bash "$0" "$jar" "$label" "$port" steady "$count" || true; } | grep -e '^server  *rss' -e '^load average'
  small=/tmp/bench-agents-$label-half/agents.json; large=/tmp/bench-agents-$label/agents.json
  awk -v a="$(figure "$small" loaded)" -v b="$(figure "$large" loaded)" -v n="$(connected "$small")" -v m="$(connected "$large")" \
    'BEGIN {printf "marginal: %.0f -> %.0f MB resident after a full GC for %d -> %d agents: %.1f KB per connection\n", a, b, n, m, (b - a) * 1e6 / (m - n) / 1024}'
  exit 0
fi
dir=/tmp/bench-agents-$label; rm -rf "$dir"; mkdir -p "$dir"
start_server() {
  # SERVER_JAVA_OPTS: extra JVM options for the server, e.g. a flight recording of the storm
  # shellcheck disable=SC2086
  BEACON_ADMIN_PASSWORD=bench-password-1 taskset -c 0 "$java" --enable-native-access=ALL-UNNAMED $server_opts ${SERVER_JAVA_OPTS:-} -jar "$jar" server \
    --port "$port" --data-dir "$dir/data" >> "$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  echo "server did not get ready" >&2; exit 1
}
start_server
trap 'kill $pid 2>/dev/null || true' EXIT
key=$("$java" --enable-native-access=ALL-UNNAMED -jar "$jar" admin api-key create --name bench --data-dir "$dir/data" | tail -1)
workers=$(( (count + 6332) / 6333 ))
if [ "$mode" = steady ]; then
  taskset -c 1 "$java" -jar "${LOADTEST_JAR:-$jar}" loadtest agents --server "http://127.0.0.1:$port" --api-key "$key" --count "$count" \
    --workers "$workers" --heartbeat-s 15 --duration 90 --server-pid "$pid" --json "$dir/agents.json" | tee "$dir/agents.txt"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi
# storm: connect everyone, restart the server once all are connected, and let the report time the reconnects
taskset -c 1 "$java" -jar "${LOADTEST_JAR:-$jar}" loadtest agents --server "http://127.0.0.1:$port" --api-key "$key" --count "$count" \
  --workers "$workers" --heartbeat-s 15 --duration 300 --json "$dir/storm.json" > "$dir/storm.txt" 2>&1 &
load=$!
# "connected N agents": N may fall a few short of COUNT (a connect that failed is not retried in this phase)
until grep -q "connected [0-9]* agents" "$dir/storm.txt" 2>/dev/null; do
  kill -0 $load 2>/dev/null || { cat "$dir/storm.txt"; exit 1; }; sleep 1
done
sleep 20
steady_rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
stopped_at=$(date +%s%N)
kill $pid; while kill -0 $pid 2>/dev/null; do sleep 0.1; done
echo "old server stopped in $(( ($(date +%s%N) - stopped_at) / 1000000 )) ms"
restarted_at=$(date +%s%N)
start_server
echo "new server ready in $(( ($(date +%s%N) - restarted_at) / 1000000 )) ms"
peak=0
ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }   # the new server's CPU so far (utime + stime, clock ticks)
ready_ticks=$(ticks); : > "$dir/server-cpu.log"
while kill -0 $load 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status); [ "$rss" -gt "$peak" ] && peak=$rss
  echo "$(date +%s%N) $(ticks)" >> "$dir/server-cpu.log"; sleep 1
done
# the report, without the progress lines
tr '\r' '\n' < "$dir/storm.txt" | grep -v -e '^connecting:' -e '^heartbeats:' | grep . | tail -12
echo "server rss steady ${steady_rss} kB, peak during the storm ${peak} kB"
# The new server's own CPU from ready until the last agent was back: what the reconnects cost the server, apart
# from the load generator (which on 2 cores may be the bound).
back_s=$(grep -o 'all back [0-9.]* s' "$dir/storm.txt" | awk '{print $3}' | tail -1)
if [ -n "$back_s" ]; then
  hz=$(getconf CLK_TCK)
  awk -v at="$(awk -v s="$stopped_at" -v b="$back_s" 'BEGIN {printf "%.0f", s + b * 1e9}')" -v ready="$ready_ticks" -v hz="$hz" -v n="$count" '
    $1 <= at {last = $2} END {cpu = (last - ready) / hz; printf "server cpu from ready to all back: %.1f s, %.0f us per reconnect\n", cpu, cpu * 1e6 / n}' \
    "$dir/server-cpu.log"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
