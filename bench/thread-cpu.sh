#!/usr/bin/env bash
# Where a process's CPU goes: user and system time per thread (threads with the same name less their number added
# up) over SECONDS, from /proc/PID/task/*/stat, in clock ticks (getconf CLK_TCK; 100 a second here).
# usage: bench/thread-cpu.sh PID [SECONDS]
#   e.g. during the heartbeat phase of bench/agents-scale.sh, for the server listening on PORT:
#   bench/thread-cpu.sh "$(ss -ltnpH 'sport = :PORT' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)" 40
set -euo pipefail
pid=$1; seconds=${2:-40}
snapshot() {
  for task in /proc/"$pid"/task/*; do
    stat=$(cat "$task/stat" 2>/dev/null) || continue   # a thread that ended meanwhile
    # the name may hold spaces; the fields after its closing parenthesis are fixed: utime and stime are 12th and 13th
    echo "$(cat "$task/comm" 2>/dev/null)|$(sed 's/.*) //' <<< "$stat" | awk '{print $12, $13}')"
  done
  echo "process|$(sed 's/.*) //' /proc/"$pid"/stat | awk '{print $12, $13}')"
}
before=$(snapshot); sleep "$seconds"; after=$(snapshot)
python3 - "$seconds" <(echo "$before") <(echo "$after") <<'PY'
import collections, re, sys
seconds, before, after = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def load(path):
    totals = collections.defaultdict(lambda: [0, 0])
    for line in open(path):
        name, ticks = line.rstrip("\n").rsplit("|", 1)
        user, system = map(int, ticks.split())
        key = re.sub(r"[-#]?\d+$", "", name)   # ForkJoinPool-1-worker-3 -> ForkJoinPool-1-worker
        totals[key][0] += user; totals[key][1] += system
    return totals
a, b = load(before), load(after)
rows = [(k, b[k][0] - a.get(k, [0, 0])[0], b[k][1] - a.get(k, [0, 0])[1]) for k in b]
process = next(r for r in rows if r[0] == "process")
print(f"process: user {process[1]}, system {process[2]} ticks over {seconds} s (threads that ended meanwhile are missing below)")
for name, user, system in sorted((r for r in rows if r[0] != "process"), key=lambda r: -(r[1] + r[2])):
    if user + system:
        print(f"  {name:<30} user {user:5d}  system {system:5d}")
PY
