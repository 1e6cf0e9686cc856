#!/usr/bin/env bash
# Access control's cost, same run: single-record POSTs (64 connections) and GET lookups against a
# server with auth on (a real token on every request) and one with --insecure-no-auth.
# usage: bench/auth_overhead.sh [SECONDS]   (default 10 per run; needs wrk: bench/setup-peers)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
bin=$root/build/shopflow
[[ -x $bin ]] || "$root/scripts/build" >/dev/null
command -v wrk >/dev/null || "$root/bench/setup-peers"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$root/bench/common.sh"

"$bin" clients add bench --scopes ingest,read --data "$work/on" >/dev/null
token=$("$bin" token bench --data "$work/on")
on=$(free_port); off=$(free_port)
"$bin" serve --data "$work/on" --listen "127.0.0.1:$on" >"$work/on.out" 2>&1 & pids+=($!)
"$bin" serve --data "$work/off" --listen "127.0.0.1:$off" --insecure-no-auth >"$work/off.out" 2>&1 & pids+=($!)
sleep 1
# Some invoices to look up (700001..701000), on both servers.
for port in $on $off; do
  /usr/bin/python3 - "$port" "$token" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
rows = "\n".join(json.dumps({"InvoiceNo": str(700000 + i), "StockCode": "85123A", "Description": "HEART", "Quantity": 6, "InvoiceDate": "2010-12-01 08:26:00",
                             "UnitPrice": 2.55, "CustomerID": 17850, "Country": "United Kingdom"}) for i in range(1, 1001))
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/records", data=rows.encode(), method="POST",
                             headers={"Content-Type": "application/x-ndjson", "Authorization": "Bearer " + token})
assert urllib.request.urlopen(req).status == 200
PY
done
sleep 1
run() { TOKEN=$2 wrk -t2 -c64 -d"${secs}s" --latency -s "$root/bench/$1" "http://127.0.0.1:$3" >"$work/$4.txt"; grep -q Non-2xx "$work/$4.txt" && { cat "$work/$4.txt"; exit 1; } || true; }
run post_one.lua "" "$off" post_off; run post_one.lua "$token" "$on" post_on
run get_one.lua "" "$off" get_off;   run get_one.lua "$token" "$on" get_on
for kind in post get; do
  a=$(rps <"$work/${kind}_off.txt"); b=$(rps <"$work/${kind}_on.txt")
  /usr/bin/python3 -c "print(f'$kind: auth off {$a:,.0f} req/s (p99 $(lat 99 <"$work/${kind}_off.txt")), auth on {$b:,.0f} req/s (p99 $(lat 99 <"$work/${kind}_on.txt")): loss {100*(1-$b/$a):.1f}% (goal <= 10%)')"
done
