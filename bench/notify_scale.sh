#!/usr/bin/env bash
# Notifications' cost and rate, same run: ROWS generated rows sent to `serve` (shopflow send,
# 500-row batches) without the notify sink and with it and 10 webhook subscriptions (order.* with
# various filters) to a local receiver (bench/webhook_receiver.py), alternately ROUNDS times each
# (a fresh data dir each time; the median of each is compared: one send of a million rows takes
# about a second, and single runs on two shared cores swing by 20%):
#   ingest rows/s with and without (goal: within 10%), and, in the last round, the events
#   delivered per second from the end of the send until the receiver has them all.
# usage: bench/notify_scale.sh [ROWS] [ROUNDS]   (default 1000000 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
rounds=${2:-3}
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
source "$root/bench/common.sh"
work=$(mktemp -d)
cleanup() {
  for f in "$work"/*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
"$bin" gen --rows "$rows" --seed 5 --format csv --out "$work/rows.csv" 2>/dev/null
hook=$(free_port)
${RECEIVER_PRIORITY:-} /usr/bin/python3 "$root/bench/webhook_receiver.py" "$hook" & echo $! >"$work/receiver.pid"
now() { date +%s.%N; }

run() { # run NAME SINKS SUBSCRIPTIONS -> "rows/s"
  local name=$1 sinks=$2 subs=$3 port; port=$(free_port)
  "$bin" serve --data "$work/$name" --listen "127.0.0.1:$port" --insecure-no-auth --sinks "$sinks" --notify-quiet-s 1 \
    --log-level warn >"$work/$name.out" 2>&1 &
  echo $! >"$work/$name.pid"
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local filters=("" "country = France" "country in [Germany, France]" "amount >= 100" "amount < 0" "country = 'United Kingdom'"
                 "lines >= 5" "quantity > 50" "country not in [EIRE]" "customer_id exists")
  for i in $(seq 0 $((subs - 1))); do
    curl -sf -X POST "http://127.0.0.1:$port/v1/subscriptions" -d "{\"id\": \"s$i\", \"events\": \"order.*\", \"filter\": \"${filters[$i]}\", \
\"webhook_url\": \"http://127.0.0.1:$hook/s$i\", \"secret\": \"0123456789abcdef\", \"max_attempts\": 1000}" >/dev/null
  done
  "$bin" send "$work/rows.csv" --url "http://127.0.0.1:$port" --batch 500 --json 2>/dev/null >"$work/$name.send"
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows_per_second"])' "$work/$name.send"
  echo "$port" >"$work/$name.port"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
stop() { kill "$(cat "$work/$1.pid")"; while kill -0 "$(cat "$work/$1.pid")" 2>/dev/null; do sleep 0.1; done; rm "$work/$1.pid"; }
plains=() withs=()
for round in $(seq 1 "$rounds"); do
  plains+=("$(run plain$round warehouse,tables,lake 0)")
  stop plain$round
  before=$(curl -sf "http://127.0.0.1:$hook/count" 2>/dev/null || echo 0)
  withs+=("$(run notify warehouse,tables,lake,notify 10)")
  sent=$(now)
  ((round == rounds)) || { stop notify; rm -rf "$work/notify"; }
done
plain=$(median "${plains[@]}")
with=$(median "${withs[@]}")
port=$(cat "$work/notify.port")
# Every queued delivery delivered: each subscription's queue empty (its events are recorded once
# the orders fall quiet, 1 s after their last line).
sleep 2
until [[ $(curl -sf "http://127.0.0.1:$port/v1/subscriptions" | /usr/bin/python3 -c 'import json,sys; print(sum(s["queued"] for s in json.load(sys.stdin)["subscriptions"]))') == 0 ]]; do
  sleep 0.1
done
took=$(echo "$(now) - $sent" | bc -l)
delivered=$(( $(curl -sf "http://127.0.0.1:$hook/count") - before ))
printf '== notifications: %d generated rows, 10 webhook subscriptions, %d rounds ==\n' "$rows" "$rounds"
printf 'ingest without the notify sink:          %10.0f rows/s (median of: %s)\n' "$plain" "${plains[*]}"
printf 'ingest with it and 10 subscriptions:     %10.0f rows/s = %.2fx (goal >= 0.90x) (median of: %s)\n' "$with" \
  "$(echo "$with / $plain" | bc -l)" "${withs[*]}"
printf 'events delivered after the send:         %10d in %.1f s = %.0f deliveries/s (incl. the 1 s quiet time)\n' \
  "$delivered" "$took" "$(echo "$delivered / $took" | bc -l)"
