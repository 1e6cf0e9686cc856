#!/usr/bin/env bash
# Imports one large generated file and reports time and peak RSS (goal: 20M rows under 2 GB).
# usage: bench/big_import.sh [ROWS]   (default 20000000; needs ~4 GB of free disk)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-20000000}
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/shopflow-big.XXXXXX"); trap 'rm -rf "$work"' EXIT
"$bin" gen --rows "$rows" --seed 3 --dirty-rate 0.001 --out "$work/big.csv"
ls -l "$work/big.csv"
/usr/bin/time -v "$bin" batch "$work/big.csv" --data "$work/data" --json 2>"$work/time.txt" | tee "$work/summary.json"
grep -E "Elapsed|Maximum resident" "$work/time.txt"
du -sh "$work/data/warehouse.duckdb" "$work/data/lake" "$work/data/tables"
