#!/usr/bin/env bash
# The dashboard's analytics queries on a 541,909-row generated import (goal: each <= 50 ms), and
# queries/s over the PostgreSQL protocol (psycopg2, one connection) vs the same queries through
# DuckDB in-process, same run. usage: bench/bi_vs_duckdb.sh [ROWS] [RUNS] [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-541909}; runs=${2:-30}; secs=${3:-5}
bin=$root/build/shopflow
[[ -x $bin && -x $root/build/bench/analytics_queries ]] || "$root/scripts/build" >/dev/null
work=$(mktemp -d); pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$root/bench/common.sh"

"$bin" gen --rows "$rows" --seed 1 --out "$work/rows.csv" 2>/dev/null
"$bin" batch "$work/rows.csv" --data "$work/d" >/dev/null 2>&1
"$root/build/bench/analytics_queries" "$work/d" "$runs" "$secs" >"$work/inproc.txt"
"$root/build/bench/analytics_queries" --json >"$work/queries.json"
"$bin" clients add bench --scopes sql --json --data "$work/d" >"$work/cred.json"
pg=$(free_port)
"$bin" serve --data "$work/d" --listen "127.0.0.1:$(free_port)" --pg-listen "127.0.0.1:$pg" >"$work/serve.out" 2>&1 & pid=$!
sleep 1.5
/usr/bin/python3 - "$work" "$pg" "$runs" "$secs" <<'PY'
import json, sys, time, psycopg2
work, port, runs, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
cred = json.load(open(f"{work}/cred.json"))
queries = json.load(open(f"{work}/queries.json"))
con = psycopg2.connect(host="127.0.0.1", port=port, dbname="shopflow", user=cred["client_id"], password=cred["client_secret"])
con.autocommit = True
cur = con.cursor()
inproc = {}
for line in open(f"{work}/inproc.txt"):
    parts = line.split()
    inproc[parts[0]] = dict(p.split("=") for p in parts[1:])
print(f"{'query':<30} {'in-process p50/max ms':>22} {'pgwire p50/max ms':>20}  goal <= 50 ms")
for q in queries:
    cur.execute(q["sql"]); cur.fetchall()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter(); cur.execute(q["sql"]); cur.fetchall(); ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    i = inproc[q["name"]]
    ok = "ok" if ms[len(ms) // 2] <= 50 else "OVER"
    print(f"{q['name']:<30} {float(i['p50_ms']):>10.2f} / {float(i['max_ms']):<9.2f} {ms[len(ms)//2]:>8.2f} / {ms[-1]:<9.2f}  {ok}")
done, start = 0, time.perf_counter()
while time.perf_counter() - start < secs:
    cur.execute(queries[done % len(queries)]["sql"]); cur.fetchall(); done += 1
qps = done / (time.perf_counter() - start)
base = float(inproc["mix"]["qps"])
print(f"mix of all queries: pgwire {qps:.1f} q/s, DuckDB in-process {base:.1f} q/s, ratio {qps / base:.2f}x")
PY
