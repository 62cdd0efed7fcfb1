#!/usr/bin/env bash
# Times `beacon server` from launch to its first 200 from /readyz, with the CPU it used and its resident memory then.
#   bench/cold-start.sh [CHECKOUT] [RUNS] [PORT]
# CHECKOUT is a built checkout (default: this one; a `git worktree` of another commit compares builds). Each run is
# timed twice: on the data directory of a previous run ("existing") and on a new one ("fresh": creates the organization,
# the admin and its memory-hard password hash). A first, untimed start records the AOT cache. PIN=1 runs the server on
# CPU 0 alone (taskset), as it is when a load generator has the other core. IDLE=S ends with one more start on the
# existing data that waits S seconds after ready and prints its resident memory then. Loopback only; every run is
# stopped with SIGTERM before the next.
set -euo pipefail
checkout="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
runs="${2:-5}"
port="${3:-18320}"
work="$(mktemp -d /tmp/beacon-cold-XXXXXX)"
trap 'rm -rf "$work"' EXIT
pin=(); if [ "${PIN:-0}" = 1 ]; then pin=(taskset -c 0); fi
tick="$(getconf CLK_TCK)"

# One start: prints "wall_ms cpu_ms rss_mb" and stops the server.
start_once() {
  local dir="$1" idle="${2:-0}" begin pid end stat cpu rss
  begin=$(date +%s%N)
  "${pin[@]}" "$checkout/beacon" server --port "$port" --data-dir "$dir" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; then break; fi
    sleep 0.01
  done
  end=$(date +%s%N)
  read -r -a stat <<<"$(cut -d')' -f2- "/proc/$pid/stat")"
  cpu=$(( (stat[11] + stat[12]) * 1000 / tick ))
  rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
  if [ "$idle" -gt 0 ]; then sleep "$idle"; rss="$rss $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")"; fi
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(( (end - begin) / 1000000 )) $cpu $rss"
}

echo "# $(cd "$checkout" && git rev-parse --short HEAD 2>/dev/null || echo '?'), PIN=${PIN:-0}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
start_once "$work/existing" >/dev/null   # records the AOT cache (written on exit) and creates the data
start_once "$work/existing" >/dev/null   # the first start with the cache
echo "kind      wall_ms cpu_ms rss_mb"
for i in $(seq 1 "$runs"); do
  echo "existing  $(start_once "$work/existing")"
  echo "fresh     $(start_once "$work/fresh-$i")"
done
if [ "${IDLE:-0}" -gt 0 ]; then echo "idle      $(start_once "$work/existing" "$IDLE") (rss_mb at ready, ${IDLE} s later)"; fi
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg)"
