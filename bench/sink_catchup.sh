#!/usr/bin/env bash
# What each sink costs per row: ROWS generated rows are sent to a serve node whose sinks do not run
# (only the notify sink, without subscriptions), then a node over a copy of that data dir runs one
# sink (warehouse, tables, lake), then all three, until the sink has stored the whole log: wall
# seconds and the process's CPU seconds per row. A diagnostic for the sinks' per-row cost (the
# sustained rate with ingest running is bench/sustained.sh).
# usage: bench/sink_catchup.sh [ROWS]   (default 1000000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
source "$root/bench/common.sh"
work=$(mktemp -d); pid=
cleanup() { [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# start DIR SINKS: a serve node on DIR keeping SINKS; sets pid and port.
start() {
  port=$(free_port)
  "$bin" serve --data "$1" --listen "127.0.0.1:$port" --insecure-no-auth --log-level warn --sinks "$2" >"$1.log" 2>&1 & pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "serve did not start:" >&2; cat "$1.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

"$bin" gen --rows "$rows" --seed 9 --format ndjson --out "$work/rows.ndjson" 2>/dev/null
start "$work/base" notify
"$bin" send --url "http://127.0.0.1:$port" --concurrency 8 "$work/rows.ndjson" >/dev/null
stop
printf '== each sink catching up on a log of %d rows alone (ingest idle) ==\n' "$rows"
for sinks in warehouse tables lake warehouse,tables,lake; do
  rm -rf "$work/run"; cp -r "$work/base" "$work/run"
  t0=$(date +%s.%N)
  start "$work/run" "$sinks"
  until [[ $(curl -s "http://127.0.0.1:$port/metrics" | awk '/^shopflow_sink_lag_records/ { s += $2 } END { print s + 0 }') == 0 ]]; do sleep 0.1; done
  t1=$(date +%s.%N)
  cpu=$(awk '{ print ($14 + $15) / 100 }' "/proc/$pid/stat")
  stop
  /usr/bin/python3 -c "print(f'{\"$sinks\":24s} {$t1 - $t0:6.2f} s wall  {$cpu:6.2f} s CPU  {$cpu * 1e6 / $rows:5.2f} us CPU a row')"
done
