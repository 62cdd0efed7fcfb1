#!/usr/bin/env bash
# Enrollment throughput on PostgreSQL (docs/benchmarks.md): a fresh database, a server from JAR, a warm-up,
# then 5,000 claims at concurrency 8 and 32. Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust).
# usage: bench/enroll-pg.sh JAR LABEL PORT   e.g. bench/enroll-pg.sh target/beacon.jar after 18602
set -euo pipefail
jar=$1; label=$2; port=$3
java=$(BEACON_PRINT_JAVA=1 "$(dirname "$0")/../beacon")
# The options `beacon server` adds (the collector and its memory settings), so a benchmark runs the server as users do.
server_opts=$(BEACON_PRINT_SERVER_OPTS=1 "$(dirname "$0")/../beacon")
db=beacon_bench_$label
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
url="jdbc:postgresql://127.0.0.1:5432/$db?user=postgres"
dir=/tmp/bench-$label; rm -rf $dir; mkdir -p $dir
BEACON_ADMIN_PASSWORD=bench-password-1 $java --enable-native-access=ALL-UNNAMED $server_opts -jar $jar server --port $port --data-dir $dir --database-url "$url" > $dir/server.log 2>&1 &
pid=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.5; done
key=$($java --enable-native-access=ALL-UNNAMED -jar $jar admin api-key create --name bench --data-dir $dir --database-url "$url" | tail -1)
$java -jar $jar loadtest enroll --server http://127.0.0.1:$port --api-key $key --count 2000 --concurrency 8 > $dir/warmup.txt 2>&1
for c in 8 32; do
  echo "== $label c=$c $(uptime)"
  $java -jar $jar loadtest enroll --server http://127.0.0.1:$port --api-key $key --count 5000 --concurrency $c --json $dir/enroll-$c.json 2>&1 | grep -v "^\s*\[" | tail -12
done
kill $pid; wait $pid 2>/dev/null || true
