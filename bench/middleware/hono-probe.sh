#!/bin/bash
# Interleaved probe of hono-probe.mjs variants: each pinned to core 0, wrk -t1 -c50 -d1s on core 1.
# usage: flock /tmp/corsgate-bench.lock bench/middleware/hono-probe.sh ROUNDS VARIANT...  (ORIGIN=... to change the Origin)
# prints req/s and server CPU µs/req (from /proc/<pid>/stat) per variant per round. Variant names: [a-z]+ only.
cd "$(dirname "$0")"
R=$1; shift
port=41100
for v in "$@"; do port=$((port+1)); taskset -c 0 node hono-probe.mjs $v $port >/dev/null & eval "PID_$v=$!"; eval "P_$v=$port"; done
sleep 2
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
for v in "$@"; do p=$(eval echo \$P_$v); taskset -c 1 wrk -t1 -c50 -d1s -H "Origin: ${ORIGIN:-https://app.example.com}" http://127.0.0.1:$p/api/items >/dev/null; done
for r in $(seq 1 $R); do
  line="round $r load $(cut -d' ' -f1 /proc/loadavg):"
  for v in "$@"; do p=$(eval echo \$P_$v); pid=$(eval echo \$PID_$v); t0=$(ticks $pid)
    out=$(taskset -c 1 wrk -t1 -c50 -d1s -H "Origin: ${ORIGIN:-https://app.example.com}" http://127.0.0.1:$p/api/items)
    t1=$(ticks $pid); n=$(echo "$out" | awk '/requests in/{print $1}'); rps=$(echo "$out" | awk '/Requests\/sec/{print int($2)}')
    line="$line $v=${rps}rps/$(( (t1-t0)*10000 / (n>0?n:1) ))us"; done
  echo "$line"
done
for v in "$@"; do kill $(eval echo \$PID_$v); done
