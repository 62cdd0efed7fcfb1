#!/usr/bin/env bash
# One node against three on one PostgreSQL database (docs/benchmarks.md, "Several nodes"): enrollment, echo jobs
# end to end, cross-node dispatch latency at 100 jobs/s, and (with several nodes) the time the agents of a node
# killed with SIGKILL take to be back Online through the others. Every node runs on CPU 0 and the load generator on
# CPU 1 (taskset); PostgreSQL runs where the kernel puts it. Besides throughput and latency, each line gives the CPU
# time per operation of all node processes together (/proc/PID/stat) and of PostgreSQL: the backends serving this
# database (pids from pg_stat_activity, before and after) and all `postgres` processes of the machine (which also
# counts other users of the same PostgreSQL). On a small shared machine CPU per operation is the figure to compare.
# The nodes' figure also says how much of it the JIT compiler threads (C1, C2) used: a warm-up cost each JVM pays
# once, which three nodes pay three times and which a short run does not amortize.
# usage: bench/cluster.sh JAR LABEL NODES BASEPORT     e.g. bench/cluster.sh target/beacon.jar r1 3 18810
#   LEASE_RETRIES (3): restarts of a node that lost its lease while starting.
#   COUNT (2000) operations per measured run after WARMUP (600) per node, so that every JVM gets the same JIT warm-up;
#   the idle nodes' own CPU is printed first.
#   SCENARIOS="enroll jobs dispatch reconnect" (the default) picks what runs; reconnect needs NODES >= 2.
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Prints one line per measured run.
set -euo pipefail
jar=$1; label=$2; nodes=$3; baseport=$4
java=$(BEACON_PRINT_JAVA=1 "$(dirname "$0")/../beacon")
# The options `beacon server` adds (the collector and its memory settings), so a benchmark runs the server as users do.
server_opts=$(BEACON_PRINT_SERVER_OPTS=1 "$(dirname "$0")/../beacon")
dir=/tmp/bench-cluster-$label-${nodes}n; rm -rf "$dir"; mkdir -p "$dir"
db=beacon_cl_${label//[^a-z0-9]/_}_${nodes}n
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
url="jdbc:postgresql://127.0.0.1:5432/$db?user=postgres"
export BEACON_SECRET_KEY; BEACON_SECRET_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
pids=(); servers=(); urls=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
start_node() { # index; class-data sharing per node slot (written at a clean exit, reused by later rounds) to start faster.
  # The start runs at a raised priority (nice -15, both cores) and is then pinned to CPU 0 at normal priority (settle_node):
  # on a loaded machine a start slower than the 12 s lease gets the node taken over while it starts (see below).
  local i=$1 port=$((baseport + $1 - 1))
  mkdir -p "$dir/node-$i"
  BEACON_ADMIN_PASSWORD=bench-password-1 nice -n -15 "$java" -XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=/tmp/bench-cluster-cds-$i.jsa" \
    -Xlog:cds=off -Xlog:cds+dynamic=off $server_opts --enable-native-access=ALL-UNNAMED -jar "$jar" server --host 127.0.0.1 \
    --port "$port" --data-dir "$dir/node-$i" --database-url "$url" --node-name "node-$i" >> "$dir/node-$i.log" 2>&1 &
  pids[i]=$!; urls[i]=http://127.0.0.1:$port
}
await_ready() { # index; a node that could not start (PostgreSQL out of connections: it is shared) is started again, 5 times at most
  local i=$1 tries=0
  for _ in $(seq 1 360); do
    curl -sf "${urls[i]}/readyz" >/dev/null && return 0
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      tries=$((tries + 1)); [ $tries -le 5 ] || break
      echo "(node-$i exited while starting: $(grep -m1 -o 'too many clients already\|could not start.*' "$dir/node-$i.log" | head -1); again in 5 s)" >&2
      sleep 5; start_node "$i"
    fi
    sleep 0.5
  done
  echo "✗ node-$i not ready: see $dir/node-$i.log" >&2; exit 1
}
# One at a time: a node registers its lease early in its start and renews it only once started, so a start slower than
# the lease (12 s, easily reached with three JVMs on one loaded core) gets it taken over by a live node. Such a node is
# restarted below (it says "lost its lease").
settle_node() { # index: every thread of the node to CPU 0, at normal priority
  local t; taskset -a -p -c 0 "${pids[$1]}" >/dev/null
  for t in /proc/"${pids[$1]}"/task/*; do renice -n 0 -p "${t##*/}" >/dev/null 2>&1 || true; done
}
for i in $(seq 1 "$nodes"); do start_node "$i"; await_ready "$i"; settle_node "$i"; done
for attempt in $(seq 1 "${LEASE_RETRIES:-3}"); do
  sleep 4; lost=0
  for i in $(seq 1 "$nodes"); do
    if grep -q "lost its lease" "$dir/node-$i.log"; then
      echo "(node-$i lost its lease while starting; restarting it)" >&2; lost=1
      kill -9 "${pids[i]}"; wait "${pids[i]}" 2>/dev/null || true; mv "$dir/node-$i.log" "$dir/node-$i.lost-$attempt.log"
      start_node "$i"; await_ready "$i"; settle_node "$i"
    fi
  done
  [ $lost = 0 ] && break
done
for i in $(seq 1 "$nodes"); do servers+=(--server "${urls[i]}"); done
key=$("$java" --enable-native-access=ALL-UNNAMED -jar "$jar" admin api-key create --name bench --data-dir "$dir/admin" --database-url "$url" | tail -1)
load() { taskset -c 1 "$java" -jar "$jar" loadtest "$@" "${servers[@]}" --api-key "$key"; }

snapshot() { # file: CPU seconds of the node processes, of this database's backends (by pid), of every postgres process
  psql -h 127.0.0.1 -U postgres -Atc "SELECT pid FROM pg_stat_activity WHERE datname = '$db'" > "$1.dbpids"
  python3 - "$1" "${pids[@]}" <<'PY'
import json, os, sys, time
hz = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    comm, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    return comm, (int(rest[11]) + int(rest[12])) / hz          # utime, stime: fields 14 and 15
path, node_pids = sys.argv[1], sys.argv[2:]
postgres = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        c = cpu(entry)
        if c and c[0] == "postgres":
            postgres[entry] = c[1]
db_pids = [line.strip() for line in open(path + ".dbpids") if line.strip()]
def jit(pid):  # CPU of the JIT compiler threads (C1, C2), which live as long as the JVM
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            c = cpu(f"{pid}/task/{task}")
            if c and c[0].startswith(("C1 Compiler", "C2 Compiler")):
                total += c[1]
    except OSError:
        pass
    return total
json.dump({"nodes": {p: (cpu(p) or ("", 0))[1] for p in node_pids}, "jit": {p: jit(p) for p in node_pids},
           "db": {p: postgres.get(p, 0) for p in db_pids}, "pg_all": sum(postgres.values()), "t": time.time()}, open(path, "w"))
PY
}
figures() { # name json before after — one line: throughput, latency, CPU per operation (also net of what idle nodes burn)
  python3 - "$label" "$nodes" "$@" "$(cut -d' ' -f1-3 /proc/loadavg)" "$dir/idle" <<'PY'
import json, sys
label, nodes, name, path, before, after, load, idle = sys.argv[1:9]
r = json.load(open(path)); b = json.load(open(before)); a = json.load(open(after))
ib = json.load(open(idle + ".before")); ia = json.load(open(idle + ".after"))
idle_rate = sum(ia["nodes"][p] - v for p, v in ib["nodes"].items()) / (ia["t"] - ib["t"])
res = r.get("result", {})
if "summary" in r:                                   # enroll
    s = r["summary"]; ops = s["ok"]; rate = s["per_second"]
else:                                                # jobs
    s = res["dispatch"]; ops = res["jobs_done"]; rate = res["end_to_end_per_second"]
node_cpu = sum(a["nodes"].get(p, b["nodes"][p]) - v for p, v in b["nodes"].items())
db_cpu = sum(v - b["db"].get(p, 0) for p, v in a["db"].items())   # backends opened meanwhile count whole; closed ones are lost
pg_all = a["pg_all"] - b["pg_all"]
us = lambda seconds: seconds / max(ops, 1) * 1e6
net = node_cpu - idle_rate * (a["t"] - b["t"])
jit = sum(a["jit"].get(p, b["jit"][p]) - v for p, v in b["jit"].items())
print(f"{label:>4} {nodes} node(s) {name:<9} {ops:6d} ops {rate:6.0f}/s  p50 {s.get('p50_ms', 0):6.1f} ms  p99 {s.get('p99_ms', 0):7.1f} ms  "
      f"CPU µs/op: nodes {us(node_cpu):5.0f} (net of idle {us(net):5.0f}, of which JIT {us(jit):5.0f})  pg(this db) {us(db_cpu):5.0f}  pg(all) {us(pg_all):5.0f}  "
      f"{a['t'] - b['t']:.0f} s  load {load}")
PY
}
measure() { # name json, then the loadtest arguments
  local name=$1 json=$2; shift 2
  snapshot "$dir/$name.before"
  load "$@" --json "$json" > "$dir/$name.txt" 2>&1 || echo "(loadtest $name exited $?: see $dir/$name.txt)" >&2
  snapshot "$dir/$name.after"
  figures "$name" "$json" "$dir/$name.before" "$dir/$name.after"
}

scenarios=" ${SCENARIOS:-enroll jobs dispatch reconnect} "
# What the idle nodes burn (leases, sweeps, queue rereads): 10 s with no load, in ms of CPU per second.
snapshot "$dir/idle.before"; sleep 10; snapshot "$dir/idle.after"
python3 - "$label" "$nodes" "$dir/idle.before" "$dir/idle.after" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
label, nodes, before, after, load = sys.argv[1:6]
b = json.load(open(before)); a = json.load(open(after))
idle = sum(a["nodes"][p] - v for p, v in b["nodes"].items()) / (a["t"] - b["t"])
db = sum(v - b["db"].get(p, 0) for p, v in a["db"].items()) / (a["t"] - b["t"])
print(f"{label:>4} {nodes} node(s) idle      nodes {idle * 1000:.0f} ms CPU/s, pg(this db) {db * 1000:.0f} ms CPU/s  load {load}")
PY
if [[ $scenarios == *" enroll "* ]]; then
  load enroll --count $(( ${WARMUP:-600} * nodes )) --concurrency 8 > "$dir/enroll-warmup.txt" 2>&1
  # What autovacuum does within its first minute: without statistics on a table that grew from nothing, PostgreSQL's
  # generic plan for the claim's name check may walk every robot of the organization (robots_org) instead of one
  # entry of robots_live_name, and the measured run would pay for it in proportion to the warm-up's robots.
  psql -h 127.0.0.1 -U postgres -qc "ANALYZE" "$db"
  measure enroll-c8 "$dir/enroll-c8.json" enroll --count ${COUNT:-2000} --concurrency 8
fi
if [[ $scenarios == *" jobs "* ]]; then
  load jobs --agents 60 --count $(( ${WARMUP:-600} * nodes )) --concurrency 16 > "$dir/jobs-warmup.txt" 2>&1
  measure jobs-max "$dir/jobs-max.json" jobs --agents 99 --count ${COUNT:-2000} --concurrency 16
fi
if [[ $scenarios == *" dispatch "* ]]; then
  submit_to=(); [ "$nodes" -gt 1 ] && submit_to=(--submit-to 1)   # one node: submit and agents on the same node
  load jobs --agents 30 --count $(( ${WARMUP:-600} * nodes )) --rate 100 --concurrency 8 "${submit_to[@]}" > "$dir/dispatch-warmup.txt" 2>&1
  measure dispatch "$dir/dispatch.json" jobs --agents 30 --count ${COUNT:-2000} --rate 100 --concurrency 8 "${submit_to[@]}"
fi
[[ $scenarios == *" reconnect "* && $nodes -gt 1 ]] || exit 0

# Reconnect: 3,000 agents spread over the nodes; kill -9 the last node once all are connected; time until the
# survivors hold all 3,000 again (their beacon_agents_connected), then check the database after the lease expired.
agents=3000 victim=$nodes
load agents --count $agents --heartbeat-s 15 --duration 75 --json "$dir/reconnect.json" > "$dir/reconnect.txt" 2>&1 &
loader=$!
until grep -q "^connected $agents agents" "$dir/reconnect.txt"; do
  kill -0 $loader 2>/dev/null || { echo "✗ loadtest agents ended early: $dir/reconnect.txt" >&2; exit 1; }; sleep 0.5
done
sleep 5
held() { local sum=0 n; for i in $(seq 1 "$nodes"); do [ "$i" = "$1" ] && continue
  n=$(curl -sf --max-time 2 "${urls[i]}/metrics" | awk '/^beacon_agents_connected[ {]/ { s += $NF } END { print s + 0 }') || n=0
  sum=$((sum + ${n%.*})); done; echo $sum; }
before=$(held 0)
killed_at=$(date +%s%N); kill -9 "${pids[victim]}"; wait "${pids[victim]}" 2>/dev/null || true; unset "pids[victim]"
back_ms=""
for _ in $(seq 1 1200); do   # at most 120 s
  now=$(held "$victim")
  if [ "$now" -ge "$agents" ]; then back_ms=$(( ($(date +%s%N) - killed_at) / 1000000 )); break; fi
  sleep 0.1
done
sleep 20   # past the 12 s lease: the survivor has taken the dead node over
online=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT count(*) FROM robots WHERE status = 'online'" "$db")
wait $loader || true
python3 - "$label" "$nodes" "$dir/reconnect.json" "$before" "${back_ms:-none}" "$online" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
label, nodes, path, before, back_ms, online, load = sys.argv[1:8]
r = json.load(open(path))["result"]["reconnects"]; t = r["reconnect_time"]
print(f"{label:>4} {nodes} node(s) reconnect  {before} agents held, node {nodes} killed: {r['drops']} dropped; survivors held all again "
      f"after {back_ms} ms (their /metrics); loadtest: last re-welcome {r['storm_span_s']:.1f} s after the first drop, "
      f"per agent p50 {t['p50_ms']:.0f} / p99 {t['p99_ms']:.0f} / max {t['max_ms']:.0f} ms; refused connects {r['refused_connects_by_code']}; "
      f"online in the database 20 s later: {online}  load {load}")
PY
