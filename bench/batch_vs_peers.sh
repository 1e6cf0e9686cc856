#!/usr/bin/env bash
# shopflow batch (warehouse + lake + tables) vs DuckDB alone (CSV -> clean -> Hive-partitioned
# zstd Parquet, on the same libduckdb) vs pandas (the seed's logic), on one generated file.
# Best of 3 for each, same run. usage: bench/batch_vs_peers.sh [ROWS]   (default 541909)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-541909}
bin=$root/build/shopflow
peer=$root/build/bench/duckdb_peer
[[ -x $bin && -x $peer ]] || "$root/scripts/build" >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin" gen --rows "$rows" --seed 42 --out "$work/in.csv"

best() { sort -n | head -1; }
# Wall-clock seconds of a whole command (process start, imports and exit included, for all three).
wall() {
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
  /usr/bin/python3 -c "print(f'{$t1 - $t0:.3f}')"
}
shopflow_run() { rm -rf "$work/sf"; wall "$bin" batch "$work/in.csv" --data "$work/sf"; }
duckdb_run() { rm -rf "$work/dk"; mkdir -p "$work/dk"; wall "$peer" "$work/in.csv" "$work/dk" "$@"; }
pandas_run() { rm -rf "$work/pd"; mkdir -p "$work/pd"; wall /usr/bin/python3 "$root/bench/pandas_peer.py" "$work/in.csv" "$work/pd"; }

# Interleave the runs so that neither side gets a warmer machine.
s=(); d=(); w=(); p=()
for i in 1 2 3; do
  s+=("$(shopflow_run)"); d+=("$(duckdb_run)"); w+=("$(duckdb_run --warehouse)"); p+=("$(pandas_run)")
done
S=$(printf '%s\n' "${s[@]}" | best); D=$(printf '%s\n' "${d[@]}" | best); W=$(printf '%s\n' "${w[@]}" | best)
P=$(printf '%s\n' "${p[@]}" | best)
echo "rows: $rows ($(du -h "$work/in.csv" | cut -f1) CSV), best of 3 wall-clock seconds"
echo "shopflow batch (warehouse+lake+tables): $S   runs: ${s[*]}"
echo "duckdb CSV->clean->parquet only:        $D   runs: ${d[*]}"
echo "duckdb ... + warehouse tables (CTAS):   $W   runs: ${w[*]}"
echo "pandas seed logic (CSV out):            $P   runs: ${p[*]}"
/usr/bin/python3 - "$S" "$D" "$P" "$W" <<'PY'
import sys
s, d, p, w = map(float, sys.argv[1:])
print(f"shopflow / duckdb time = {s/d:.2f}x  (goal <= 0.5x)")
print(f"shopflow / duckdb-with-warehouse time = {s/w:.2f}x  (goal <= 0.9x)")
print(f"pandas / shopflow time = {p/s:.2f}x  (goal >= 5x)")
PY
