#!/usr/bin/env bash
# HTTP ingest, same run, side by side:
#   (a) single-record POSTs over 64 keep-alive connections (wrk) vs nginx answering a small
#       constant body (the HTTP ceiling here) and redis-benchmark XADD with and without pipelining;
#   (b) 500-record batches in records/s, with fsync durability and (the ceiling without the disk) async;
#   (c) POST acknowledged -> visible in GET, and -> visible in SQL over the lake (p50/p99);
#   (e) GET point lookups of stored invoices over 64 connections vs nginx's constant answer;
#   and the disk's own floor under the fsync figures: write + fdatasync rates (bench/disk_flush).
# usage: bench/http_vs_peers.sh [SECONDS]   (default 10 per run; needs bench/setup-peers)
#        SERVE_ARGS="--shards 1 ..." bench/http_vs_peers.sh ...   to try options of the fsync server
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
bin=$root/build/shopflow
[[ -x $bin && -x $root/build/bench/visibility && -x $root/build/bench/disk_flush ]] || "$root/scripts/build" >/dev/null
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v redis-benchmark >/dev/null || "$root/bench/setup-peers"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$root/bench/common.sh"
# The sinks yield the CPU to ingest, so they fall behind during a load run: records appended but
# not yet stored, over every sink, and the seconds until there are none left.
sink_lag() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^shopflow_sink_lag_records/ {n += $2} END {print n + 0}'; }
wait_for_sinks() {
  local t0; t0=$(date +%s.%N)
  while (( $(sink_lag "$1") > 0 )) && (( $(date +%s) - ${t0%.*} < 600 )); do sleep 0.2; done
  /usr/bin/python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')"
}

# nginx: a small constant body.
np=$(free_port)
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes 2;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server { listen 127.0.0.1:$np; location / { return 200 '{"accepted":1}'; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' & pids+=($!)
# shopflow serve, fsync durability (and a second one with async durability for comparison); the
# cost of access control is measured on its own by bench/auth_overhead.sh.
sp=$(free_port); ap=$(free_port)
"$bin" serve --data "$work/sf" --listen "127.0.0.1:$sp" --durability fsync --insecure-no-auth ${SERVE_ARGS:-} >"$work/serve.out" 2>"$work/serve.err" & pids+=($!)
"$bin" serve --data "$work/sa" --listen "127.0.0.1:$ap" --durability async --insecure-no-auth >"$work/serve_a.out" 2>"$work/serve_a.err" & pids+=($!)
# redis without persistence (a buffer, not a durable log), and redis doing the same durable work as
# shopflow's fsync durability on the same disk: an append-only file synced before each answer.
rp=$(free_port); rdp=$(free_port)
redis-server --port "$rp" --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 & pids+=($!)
mkdir -p "$work/redis-aof"
redis-server --port "$rdp" --save '' --appendonly yes --appendfsync always --dir "$work/redis-aof" --daemonize no >"$work/redis_aof.log" 2>&1 & pids+=($!)
sleep 1

"$root/build/bench/disk_flush" "$work" 2 >"$work/disk.txt" # before any load, on the disk of the data dirs
# (c) first, on an idle server, so that no backlog from the load runs skews it.
"$root/build/bench/visibility" "http://127.0.0.1:$sp" "$work/sf" 200 >"$work/vis.txt"
wrk -t2 -c64 -d"${secs}s" --latency "http://127.0.0.1:$np/" >"$work/nginx.txt"
wrk -t2 -c64 -d"${secs}s" --latency -s "$root/bench/post_one.lua" "http://127.0.0.1:$sp" >"$work/one.txt"
wait_for_sinks "$sp" >/dev/null # each run starts with the sinks caught up: no backlog competes for the CPU
wrk -t2 -c64 -d"${secs}s" --latency -s "$root/bench/post_one.lua" "http://127.0.0.1:$ap" >"$work/one_async.txt"
wait_for_sinks "$ap" >/dev/null
# 400 different 500-record bodies (200,000 generated rows), cycled through.
"$bin" gen --rows 200000 --seed 9 --format ndjson --out "$work/rows.ndjson" 2>/dev/null
mkdir -p "$work/batches"
split -l 500 -d -a 4 "$work/rows.ndjson" "$work/batches/b"
n=0; for f in "$work"/batches/b*; do mv "$f" "$work/batches/batch-$n.ndjson"; n=$((n + 1)); done
# post_batches PORT OUT: the batches over 16 connections for the run's seconds, wrk's report in OUT.
post_batches() {
  BATCH_DIR="$work/batches" BATCH_COUNT=$n wrk -t2 -c16 -d"${secs}s" --latency -s "$root/bench/post_batch.lua" "http://127.0.0.1:$1/v1/records" >"$2"
}
wait_for_sinks "$sp" >/dev/null
post_batches "$sp" "$work/batch.txt"
lag_at_end=$(sink_lag "$sp"); catch_up=$(wait_for_sinks "$sp")
# The same batches with async durability (its sinks caught up after its run above): the ceiling
# of the HTTP path without the disk's syncs.
post_batches "$ap" "$work/batch_async.txt"
wait_for_sinks "$ap" >/dev/null
# (e) 1,000 one-line invoices (700001..701000) stored, then looked up over 64 connections.
/usr/bin/python3 - "$sp" <<'PY'
import json, sys, urllib.request
rows = "\n".join(json.dumps({"InvoiceNo": str(700000 + i), "StockCode": "85123A", "Description": "HEART", "Quantity": 6,
                             "InvoiceDate": "2010-12-01 08:26:00", "UnitPrice": 2.55, "CustomerID": 17850, "Country": "United Kingdom"})
                  for i in range(1, 1001))
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/v1/records", data=rows.encode(), method="POST",
                             headers={"Content-Type": "application/x-ndjson"})
assert urllib.request.urlopen(req).status == 200
PY
wait_for_sinks "$sp" >/dev/null
wrk -t2 -c64 -d"${secs}s" --latency -s "$root/bench/get_one.lua" "http://127.0.0.1:$sp" >"$work/get.txt"
for f in one one_async batch batch_async get; do grep -q "Non-2xx" "$work/$f.txt" && { echo "POSTs of the $f run failed:"; cat "$work/$f.txt"; exit 1; }; done
redis-benchmark -p "$rp" -c 64 -n 300000 -q XADD bench '*' InvoiceNo 536365 >"$work/xadd.txt" 2>&1
redis-benchmark -p "$rp" -c 64 -n 1000000 -P 16 -q XADD bench '*' InvoiceNo 536365 >"$work/xadd_p.txt" 2>&1
# The durable peer: a record's fields as the POSTs carry them, 64 clients one at a time, then
# pipelined 500 deep over 16 clients (as the 500-record batches).
xadd_record=(InvoiceNo 536365 StockCode 85123A Description 'WHITE HANGING HEART T-LIGHT HOLDER' Quantity 6 InvoiceDate '2010-12-01 08:26:00'
             UnitPrice 2.55 CustomerID 17850 Country 'United Kingdom')
redis-benchmark -p "$rdp" -c 64 -n 200000 XADD bench '*' "${xadd_record[@]}" >"$work/xadd_aof.txt" 2>&1
redis-benchmark -p "$rdp" -c 16 -n 2000000 -P 500 XADD bench '*' "${xadd_record[@]}" >"$work/xadd_aof_p.txt" 2>&1

N=$(rps <"$work/nginx.txt"); O=$(rps <"$work/one.txt"); A=$(rps <"$work/one_async.txt"); B=$(rps <"$work/batch.txt"); BA=$(rps <"$work/batch_async.txt")
# redis-benchmark's summary: requests/s, and its latency summary line (avg min p50 p95 p99 max, ms).
redis_rps() { grep -o '[0-9.]* requests per second' "$1" | tail -1 | awk '{print $1}'; }
redis_p() { awk '/latency summary/ {getline; getline; print}' "$1" | awk -v c="$2" '{print $c}'; }
RD=$(redis_rps "$work/xadd_aof.txt"); RDP=$(redis_rps "$work/xadd_aof_p.txt")
ms() { local v; v=$(lat "$1" <"$2"); /usr/bin/python3 -c "v='$v'; print(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000)"; }
echo "== (a) single-record POSTs, 64 keep-alive connections, ${secs}s each =="
echo "nginx constant body:         $N req/s  p50 $(lat 50 <"$work/nginx.txt")  p99 $(lat 99 <"$work/nginx.txt")"
echo "shopflow POST /v1/records:   $O req/s  p50 $(lat 50 <"$work/one.txt")  p99 $(lat 99 <"$work/one.txt")   (fsync)"
echo "shopflow, async durability:  $A req/s  p50 $(lat 50 <"$work/one_async.txt")  p99 $(lat 99 <"$work/one_async.txt")"
echo "redis XADD:                  $(grep -o '[0-9.]* requests per second' "$work/xadd.txt" | head -1)"
echo "redis XADD, pipelined x16:   $(grep -o '[0-9.]* requests per second' "$work/xadd_p.txt" | head -1)"
echo "redis XADD, appendfsync always: $RD req/s  p50 $(redis_p "$work/xadd_aof.txt" 3)ms  p99 $(redis_p "$work/xadd_aof.txt" 5)ms   (the durable peer)"
/usr/bin/python3 -c "print(f'shopflow / nginx = {$O/$N:.2f}x fsync, {$A/$N:.2f}x async  (goal >= 0.5x, p99 < 5 ms)')"
/usr/bin/python3 -c "print(f'shopflow fsync / redis appendfsync always = {$O/$RD:.2f}x req/s (goal >= 1.0x); p99 {$(ms 99 "$work/one.txt")/$(redis_p "$work/xadd_aof.txt" 5):.1f}x redis p99 (goal <= 3x)')"
echo "== (b) 500-record batches, 16 connections =="
# batch_line LABEL REQ_PER_S WRK_REPORT NOTE
batch_line() { /usr/bin/python3 -c "print(f'$1: {$2*500:,.0f} records/s ($2 req/s)  p50 $(lat 50 <"$3")  p99 $(lat 99 <"$3")  ($4)')"; }
batch_line "fsync durability" "$B" "$work/batch.txt" "goal >= 1,000,000 records/s"
echo "redis XADD, appendfsync always, pipelined 500 deep x 16 clients: $RDP records/s  p99 $(redis_p "$work/xadd_aof_p.txt" 5)ms"
/usr/bin/python3 -c "print(f'shopflow fsync batches / redis pipelined appendfsync always = {$B*500/$RDP:.2f}x records/s (goal >= 2x)')"
echo "sink lag when the batches stopped: $lag_at_end records (over 3 sinks); every sink had stored everything $catch_up s later"
batch_line "async durability" "$BA" "$work/batch_async.txt" "the same path without waiting for the disk"
G=$(rps <"$work/get.txt")
echo "== (e) GET /v1/invoices/ID (one-line invoices), 64 keep-alive connections =="
echo "shopflow GET lookups:        $G req/s  p50 $(lat 50 <"$work/get.txt")  p99 $(lat 99 <"$work/get.txt")"
/usr/bin/python3 -c "print(f'shopflow GET / nginx constant body = {$G/$N:.2f}x (goal >= 0.6x, p99 < 2 ms)')"
echo "== (c) visibility after the POST is acknowledged =="
cat "$work/vis.txt"
echo "== the disk under fsync durability: write + fdatasync, as the log does it, with nothing else running =="
cat "$work/disk.txt"
