#!/usr/bin/env bash
# Sinks that keep up, same run: 500-record batches (fsync durability, 16 connections) offered at
# paced rates for SECONDS each to a fresh `serve` with all three sinks, the sinks' lag sampled
# every second from /metrics. A rate is sustained when every sink's lag over the second half of
# its run stays below 2 s of data (lag records / achieved rate). Reports the rate ingest alone
# accepts (unpaced), each paced rate with its worst sink lag, and the highest sustained rate as a
# ratio of ingest alone (goal >= 0.8x). Also the CPU each record costs, from the same runs: ingest
# (the HTTP and log threads), the load generator (wrk), and the derived work (every other thread of
# serve: sinks, RocksDB, DuckDB), and the end-to-end rate two cores could carry at those costs.
# usage: bench/sustained.sh [SECONDS] [DELAYS_MS...]   (default 60; 40 20 12 8 5 3 ms after ingest alone)
#        SERVE_ARGS="--lake-flush-ms 2000 ..." bench/sustained.sh ...   to try serve's options
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}; shift || true
delays=("$@"); ((${#delays[@]})) || delays=(40 20 12 8 5 3)
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
command -v wrk >/dev/null || "$root/bench/setup-peers"
source "$root/bench/common.sh"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$bin" gen --rows 200000 --seed 9 --format ndjson --out "$work/rows.ndjson" 2>/dev/null
mkdir -p "$work/batches"
split -l 500 -d -a 4 "$work/rows.ndjson" "$work/batches/b"
n=0; for f in "$work"/batches/b*; do mv "$f" "$work/batches/batch-$n.ndjson"; n=$((n + 1)); done

# cpu_us PID [COMM_PATTERN]: CPU microseconds of process PID (its threads gone included), or of
# those of its threads whose name matches the pattern
cpu_us() {
  local t ticks=0
  if [[ -z ${2:-} ]]; then
    ticks=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
  else
    for t in /proc/"$1"/task/*; do
      [[ $(cat "$t/comm" 2>/dev/null) =~ $2 ]] || continue
      ticks=$((ticks + $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null || echo 0)))
    done
  fi
  echo $((ticks * 1000000 / $(getconf CLK_TCK)))
}
# run DELAY_MS: writes "achieved_records_per_s worst_sink_lag_records_in_the_second_half sink
# ingest_cpu_us_a_record wrk_cpu_us_a_record derived_cpu_us_a_record" to $work/result-DELAY_MS
run() {
  local port dir=$work/sf-$1; port=$(free_port)
  # shellcheck disable=SC2086 # SERVE_ARGS is a list of options
  "$bin" serve --data "$dir" --listen "127.0.0.1:$port" --insecure-no-auth --log-level warn ${SERVE_ARGS:-} >"$dir.log" 2>&1 & local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  : >"$work/lag-$1"
  ( for _ in $(seq 1 "$secs"); do
      sleep 1
      curl -s "http://127.0.0.1:$port/metrics" | awk '/^shopflow_sink_lag_records/ { split($1, a, "\""); lag[a[2]] += $2 }
        END { m = 0; w = "-"; for (s in lag) if (lag[s] >= m) { m = lag[s]; w = s }; print m, w }' >>"$work/lag-$1"
    done ) & local sampler=$!
  local all0 ingest0; all0=$(cpu_us "$pid"); ingest0=$(cpu_us "$pid" '^sf-(http|log)-')
  BENCH_DIR="$root/bench" BATCH_DIR="$work/batches" BATCH_COUNT=$n BATCH_DELAY_MS=$1 /usr/bin/time -f "%U %S" -o "$work/wrk-cpu-$1" \
    wrk -t2 -c16 -d"${secs}s" -s "$root/bench/post_batch_paced.lua" "http://127.0.0.1:$port/v1/records" >"$work/wrk-$1.txt"
  local all ingest; all=$(($(cpu_us "$pid") - all0)); ingest=$(($(cpu_us "$pid" '^sf-(http|log)-') - ingest0))
  wait "$sampler" || true
  grep -q "Non-2xx" "$work/wrk-$1.txt" && { echo "POSTs failed:" >&2; cat "$work/wrk-$1.txt" >&2; exit 1; }
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$dir"
  local rate worst records
  rate=$(/usr/bin/python3 -c "print(round($(rps <"$work/wrk-$1.txt") * 500))")
  worst=$(tail -n $((secs / 2)) "$work/lag-$1" | sort -n | tail -1)
  records=$(($(grep -o '[0-9]* requests in' "$work/wrk-$1.txt" | awk '{print $1}') * 500))
  local wu ws; read -r wu ws < <(tail -1 "$work/wrk-cpu-$1")
  /usr/bin/python3 -c "print($rate, '${worst:-0 -}', f'{$ingest / $records:.2f}', f'{($wu + $ws) * 1e6 / $records:.2f}', f'{($all - $ingest) / $records:.2f}')" \
    >"$work/result-$1"
}

run 0; read -r alone alone_lag alone_sink ingest_us wrk_us _ <"$work/result-0"
printf '== sustained end to end: 500-record batches, fsync, 16 connections, %d s each, all three sinks ==\n' "$secs"
printf 'ingest alone (unpaced):            %9d records/s (worst sink lag in the second half: %d records = %.1f s, %s)\n' \
  "$alone" "$alone_lag" "$(echo "$alone_lag / $alone" | bc -l)" "$alone_sink"
best=0; derived_us=0
for d in "${delays[@]}"; do
  run "$d"; read -r rate lag sink _ _ derived <"$work/result-$d"
  held=$(/usr/bin/python3 -c "print(1 if $lag < 2 * $rate else 0)")
  ((held)) && ((rate > best)) && best=$rate && derived_us=$derived
  printf 'paced (%2d ms a connection):       %9d records/s  worst sink lag %9d records = %5.1f s (%s)  %s\n' "$d" "$rate" "$lag" \
    "$(echo "$lag / $rate" | bc -l)" "$sink" "$( ((held)) && echo sustained || echo "falls behind")"
done
/usr/bin/python3 -c "print(f'highest sustained rate / ingest alone = {$best / $alone:.2f}x (goal >= 0.8x)')"
# The CPU budget: ingest and wrk per record from the unpaced run, the derived work per record at
# the highest sustained rate; two cores (2,000,000 us of CPU a second) carry at most this.
/usr/bin/python3 - "$ingest_us" "$wrk_us" "$derived_us" "$alone" <<'PY'
import sys
ingest, wrk, derived, alone = map(float, sys.argv[1:])
if derived:
    ceiling = 2e6 / (ingest + wrk + derived)
    print(f"CPU a record: ingest {ingest:.2f} us + load generator {wrk:.2f} us + sinks and their stores {derived:.2f} us; "
          f"two cores carry at most {ceiling:,.0f} records/s end to end = {ceiling / alone:.2f}x ingest alone; "
          f"0.8x would need the sinks at {max(0.0, 2e6 / (0.8 * alone) - ingest - wrk):.2f} us a record")
PY
