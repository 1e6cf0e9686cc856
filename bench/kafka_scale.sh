#!/usr/bin/env bash
# The log on Kafka, same run, side by side, on 3 brokers started here (replication 3,
# min.insync.replicas 2, the brokers' JVMs sharing this machine's cores with everything else):
#   (a) Kafka's own kafka-producer-perf-test (acks=all, idempotent), records of the log rows' size:
#       the ceiling of what any client gets from these brokers here;
#   (b) 500-record batches POSTed to 1 serve node, then to 2 serve nodes at once (records/s, p99);
#   (c) a row acknowledged by one node -> visible in GET on the other node (p50/p99).
# usage: bench/kafka_scale.sh [SECONDS]   (default 10 per run; needs wrk: bench/setup-peers)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
command -v wrk >/dev/null || "$root/bench/setup-peers"
source "$root/bench/common.sh"
work=$(mktemp -d)
cluster=(/usr/bin/python3 "$root/scripts/kafka/cluster.py")
cleanup() {
  # Nodes are started inside $(...): their pids are in files. They stop (draining) before the brokers do.
  local node_pids=()
  for f in "$work"/*.pid; do [[ -f $f ]] && node_pids+=("$(cat "$f")"); done
  for p in "${node_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${node_pids[@]}"; do for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
  "${cluster[@]}" down "$work/kafka" || true
  rm -rf "$work"
}
trap cleanup EXIT
libs="$root/third_party/kafka/libs/*"
boot=$("${cluster[@]}" up "$work/kafka" --brokers 3 --heap-mb 512 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bootstrap"])')
echo "3 Kafka brokers at $boot"

# The batches: 400 different 500-record bodies (200,000 generated rows), cycled through.
"$bin" gen --rows 200000 --seed 5 --format ndjson --out "$work/rows.ndjson" 2>/dev/null
mkdir -p "$work/batches"
split -l 500 -d -a 4 "$work/rows.ndjson" "$work/batches/b"
n=0; for f in "$work"/batches/b*; do mv "$f" "$work/batches/batch-$n.ndjson"; n=$((n + 1)); done
record_bytes=$(head -c 2000000 "$work/rows.ndjson" | wc -l | awk '{printf "%d", 2000000 / $1}')

# (a) Kafka's own producer on a topic of the log's layout.
java -cp "$libs" org.apache.kafka.tools.TopicCommand --bootstrap-server "$boot" --create --topic perf --partitions 4 \
  --replication-factor 3 --config min.insync.replicas=2 >/dev/null
java -Xmx512m -cp "$libs" org.apache.kafka.tools.ProducerPerformance --topic perf --num-records $((secs * 200000)) \
  --record-size "$record_bytes" --throughput -1 \
  --producer-props bootstrap.servers="$boot" acks=all enable.idempotence=true linger.ms=5 batch.size=262144 >"$work/perf.txt" 2>&1
perf=$(tail -1 "$work/perf.txt")
K=$(echo "$perf" | sed -E 's/.* ([0-9.]+) records\/sec.*/\1/')
KP99=$(echo "$perf" | sed -E 's/.* ([0-9.]+) ms 99th.*/\1/')

start_node() { # start_node NAME PREFIX -> port
  local port; port=$(free_port)
  "$bin" serve --data "$work/$1" --listen "127.0.0.1:$port" --log "kafka://$boot/$2" --sinks tables --insecure-no-auth \
    --log-level warn >"$work/$1.out" 2>"$work/$1.err" &
  echo $! >"$work/$1.pid"
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "$port"
}
post_batches() { # post_batches PORT CONNECTIONS OUT
  BATCH_DIR="$work/batches" BATCH_COUNT=$n wrk -t1 -c"$2" -d"${secs}s" --latency -s "$root/bench/post_batch.lua" \
    "http://127.0.0.1:$1/v1/records" >"$3"
  grep -q "Non-2xx" "$3" && { echo "POSTs failed:"; cat "$3"; exit 1; } || true
}

# (b) One node, then two nodes at once (each its own connections), on topics of their own.
one=$(start_node one one)
post_batches "$one" 16 "$work/one.txt"
a=$(start_node a two); b=$(start_node b two)
post_batches "$a" 8 "$work/a.txt" & wa=$!
post_batches "$b" 8 "$work/b.txt"
wait $wa

# (c) Acknowledged by node a, visible in GET on node b.
/usr/bin/python3 - "$a" "$b" >"$work/vis.txt" <<'PY'
import http.client, json, sys, time
a, b = int(sys.argv[1]), int(sys.argv[2])
ca, cb = http.client.HTTPConnection("127.0.0.1", a), http.client.HTTPConnection("127.0.0.1", b)
waits = []
for i in range(200):
    invoice = f"77{i:04d}"
    body = json.dumps({"InvoiceNo": invoice, "StockCode": "85123A", "Description": "VISIBILITY", "Quantity": 1,
                       "InvoiceDate": "2010-12-01 08:26:00", "UnitPrice": 1.0, "CustomerID": 17850, "Country": "United Kingdom"})
    ca.request("POST", "/v1/records", body, {"Content-Type": "application/json"})
    r = ca.getresponse(); r.read()
    assert r.status == 200, r.status
    acked = time.perf_counter()
    while True:
        cb.request("GET", f"/v1/invoices/{invoice}")
        g = cb.getresponse(); g.read()
        if g.status == 200:
            break
        time.sleep(0.0005)
    waits.append((time.perf_counter() - acked) * 1000)
waits.sort()
print(f"{waits[len(waits) // 2]:.1f} {waits[int(len(waits) * 0.99) - 1]:.1f}")
PY
read -r V50 V99 <"$work/vis.txt"

O=$(rps <"$work/one.txt"); A=$(rps <"$work/a.txt"); B=$(rps <"$work/b.txt")
/usr/bin/python3 - <<PY
k, kp99 = float("$K"), float("$KP99")
one, two = float("$O") * 500, (float("$A") + float("$B")) * 500
print("== (a) the brokers' ceiling: kafka-producer-perf-test, acks=all, idempotent, $record_bytes-byte records ==")
print(f"kafka-producer-perf-test: {k:,.0f} records/s, p99 {kp99:.0f} ms")
print("== (b) 500-record batches POSTed (acknowledged = committed on the brokers) ==")
print(f"1 node (16 connections):        {one:,.0f} records/s  p50 $(lat 50 <"$work/one.txt")  p99 $(lat 99 <"$work/one.txt")  = {one / k:.2f}x the ceiling")
print(f"2 nodes (8 connections each):   {two:,.0f} records/s  p99 $(lat 99 <"$work/a.txt") / $(lat 99 <"$work/b.txt")  = {two / k:.2f}x the ceiling, {two / one:.2f}x 1 node")
print("== (c) acknowledged by one node -> visible in GET on the other ==")
print(f"p50 $V50 ms, p99 $V99 ms (goal p99 <= 200 ms)")
PY
