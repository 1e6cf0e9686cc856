#!/usr/bin/env bash
# Runs every libFuzzer target (ASan/UBSan) for SECONDS each (default 600), all at once, and prints
# the executions per target and any finding. usage: bench/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
[[ -x $root/build/fuzz/fuzz_jwt ]] || "$root/scripts/build" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
findings=$root/build/fuzz/findings # crashing inputs are kept here
mkdir -p "$findings"
targets=(csv_reader json_record http_request jwt pg_message sql_policy event_filter)
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus-$t"
  "$root/build/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 -artifact_prefix="$findings/$t-" \
    "$work/corpus-$t" "$root/fuzz/corpus/$t" >"$work/$t.log" 2>&1 &
done
wait || true
status=0
for t in "${targets[@]}"; do
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$t.log" | awk '{print $2}')
  if grep -qE '^==[0-9]+==ERROR|runtime error|SUMMARY: ' "$work/$t.log"; then
    echo "$t: FINDING after ${runs:-?} executions (input kept in $findings)"; grep -E 'ERROR|runtime error|SUMMARY' "$work/$t.log" | head -5; status=1
  else
    echo "$t: ${runs:-?} executions in ${secs}s, no finding"
  fi
done
exit $status
