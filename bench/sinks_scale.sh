#!/usr/bin/env bash
# The warehouse on PostgreSQL, same run, side by side, on 1 Kafka broker and 1 PostgreSQL 15
# started here (the machine's cores shared by everything):
#   (a) PostgreSQL's own COPY of the same rows (psql \copy of the stored transactions into an
#       empty table of the same shape): the ceiling of what any loader gets from this server here;
#   (b) sustained end to end: ROWS generated rows sent to a serve node (shopflow send, 500-row
#       batches) and stored in PostgreSQL by 1 worker, then by 2 workers sharing the shards:
#       records/s from the first POST until PostgreSQL holds every row.
# The lake on S3 is not in this run yet (issue 17 goes on).
# usage: bench/sinks_scale.sh [ROWS]   (default 300000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-300000}
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
source "$root/bench/common.sh"
work=$(mktemp -d)
chmod 755 "$work"
cluster=(/usr/bin/python3 "$root/scripts/kafka/cluster.py")
pg=(/usr/bin/python3 "$root/scripts/postgres/server.py")
cleanup() {
  for f in "$work"/*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 1
  "${cluster[@]}" down "$work/kafka" || true
  "${pg[@]}" down "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
boot=$("${cluster[@]}" up "$work/kafka" --brokers 1 --heap-mb 512 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bootstrap"])')
url=$("${pg[@]}" up "$work/pg" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
"$bin" gen --rows "$rows" --seed 9 --format csv --out "$work/rows.csv" 2>/dev/null
now() { date +%s.%N; }
count() { psql "$url" -tAc "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + (SELECT count(*) FROM rejected)"; }

run() { # run WORKERS PREFIX -> records/s end to end
  local workers=$1 prefix=$2 port
  psql "$url" -qc "DROP TABLE IF EXISTS transactions, cancellations, rejected, imports, stream_offsets CASCADE" 2>/dev/null
  port=$(free_port)
  "$bin" serve --data "$work/node-$prefix" --listen "127.0.0.1:$port" --log "kafka://$boot/$prefix" --sinks tables --insecure-no-auth \
    --log-level warn >"$work/node-$prefix.out" 2>&1 &
  echo $! >"$work/node-$prefix.pid"
  for i in $(seq 1 "$workers"); do
    "$bin" worker --data "$work/w$i-$prefix" --log "kafka://$boot/$prefix" --sinks warehouse --warehouse "$url" --log-level warn \
      >"$work/w$i-$prefix.out" 2>&1 &
    echo $! >"$work/w$i-$prefix.pid"
  done
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  for _ in $(seq 1 600); do [[ $(count 2>/dev/null) == 0 ]] && break; sleep 0.1; done
  sleep 12 # the workers' group settles its assignment
  local started; started=$(now)
  "$bin" send "$work/rows.csv" --url "http://127.0.0.1:$port" --batch 500 >/dev/null 2>&1
  until [[ $(count) -ge $rows ]]; do sleep 0.05; done
  local took; took=$(echo "$(now) - $started" | bc -l)
  for f in "$work"/*-"$prefix".pid; do kill "$(cat "$f")"; rm "$f"; done
  echo "$rows / $took" | bc -l
}

one=$(run 1 one)
two=$(run 2 two)

# (a) PostgreSQL's own COPY of the stored rows.
psql "$url" -qc "\\copy transactions TO '$work/stored.csv' (FORMAT csv)"
stored=$(wc -l <"$work/stored.csv")
psql "$url" -qc "CREATE TABLE copy_peer (LIKE transactions)"
started=$(now)
psql "$url" -qc "\\copy copy_peer FROM '$work/stored.csv' (FORMAT csv)"
peer=$(echo "$stored / ($(now) - $started)" | bc -l)

printf '== sinks on PostgreSQL: %d generated rows ==\n' "$rows"
printf 'PostgreSQL COPY (psql \\copy, %d rows):            %10.0f rows/s   <- the ceiling\n' "$stored" "$peer"
printf '1 worker, sent -> stored in PostgreSQL:            %10.0f records/s = %.2fx the ceiling\n' "$one" "$(echo "$one / $peer" | bc -l)"
printf '2 workers sharing the shards:                      %10.0f records/s = %.2fx the ceiling, %.2fx 1 worker\n' \
  "$two" "$(echo "$two / $peer" | bc -l)" "$(echo "$two / $one" | bc -l)"
