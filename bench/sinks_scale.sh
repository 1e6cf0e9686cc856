#!/usr/bin/env bash
# The sinks on shared engines, same run, side by side, on 1 Kafka broker, 1 PostgreSQL 15 and 1
# S3 server (Ceph's RADOS Gateway) started here (the machine's cores shared by everything):
#   (a) PostgreSQL's own COPY of the same rows (psql \copy of the stored transactions into an
#       empty table of the same shape): the ceiling of what any loader gets from this server here;
#   (b) the S3 server's own upload rate, as pyarrow's S3 filesystem (the AWS C++ SDK) gets it, beside
#       the lake's upload path (build/bench/s3_upload: S3Store::put_file), on the same 8 MiB objects;
#   (c) sustained end to end: ROWS generated rows sent to a serve node (shopflow send, 500-row
#       batches) and stored in PostgreSQL and in the lake on S3 by 1 worker, then by 2 workers
#       sharing the shards: records/s from the first POST until both sinks hold every row; and
#       1 worker loading the warehouse the Redshift way (load=insert: multi-row INSERTs).
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
rgw=(/usr/bin/python3 "$root/scripts/s3/rgw.py")
py=$root/third_party/venv/bin/python
cleanup() {
  for f in "$work"/*.pid; do [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true; done
  sleep 1
  "${cluster[@]}" down "$work/kafka" || true
  "${pg[@]}" down "$work/pg" || true
  "${rgw[@]}" down "$work/rgw" || true
  rm -rf "$work"
}
trap cleanup EXIT
boot=$("${cluster[@]}" up "$work/kafka" --brokers 1 --heap-mb 512 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bootstrap"])')
url=$("${pg[@]}" up "$work/pg" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
s3_state=$("${rgw[@]}" up "$work/rgw")
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$s3_state" "$1"; }
endpoint=$(field endpoint)
export AWS_ACCESS_KEY_ID=$(field access_key) AWS_SECRET_ACCESS_KEY=$(field secret_key) AWS_REGION=$(field region)
make_bucket() { curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X PUT "$endpoint/$1" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" >/dev/null; }
# Rows in the lake (transactions + cancellations), as pyarrow counts them.
lake_rows() {
  "$py" - "$1" <<PY
import os, sys
from urllib.parse import urlparse
import pyarrow.dataset as ds
from pyarrow import fs
u = urlparse("$endpoint")
s3 = fs.S3FileSystem(access_key=os.environ["AWS_ACCESS_KEY_ID"], secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                     endpoint_override=u.netloc, scheme=u.scheme, region=os.environ["AWS_REGION"])
n = 0
for t in ("transactions", "cancellations"):
    try:
        n += ds.dataset(f"{sys.argv[1]}/lake/{t}", filesystem=s3, format="parquet").count_rows()
    except (FileNotFoundError, OSError):
        pass
print(n)
PY
}
"$bin" gen --rows "$rows" --seed 9 --format csv --out "$work/rows.csv" 2>/dev/null
now() { date +%s.%N; }
count() { psql "$url" -tAc "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations) + (SELECT count(*) FROM rejected)"; }
lines() { psql "$url" -tAc "SELECT (SELECT count(*) FROM transactions) + (SELECT count(*) FROM cancellations)"; }

run() { # run WORKERS PREFIX [URL-PARAMS] -> records/s end to end
  local workers=$1 prefix=$2 params=${3:-} port
  psql "$url" -qc "DROP TABLE IF EXISTS transactions, cancellations, rejected, imports, stream_offsets CASCADE" 2>/dev/null
  port=$(free_port)
  make_bucket "lake-$prefix"
  "$bin" serve --data "$work/node-$prefix" --listen "127.0.0.1:$port" --log "kafka://$boot/$prefix" --sinks tables --insecure-no-auth \
    --log-level warn >"$work/node-$prefix.out" 2>&1 &
  echo $! >"$work/node-$prefix.pid"
  for i in $(seq 1 "$workers"); do
    "$bin" worker --data "$work/w$i-$prefix" --log "kafka://$boot/$prefix" --sinks warehouse,lake --warehouse "$url$params" \
      --lake "s3://lake-$prefix/lake?endpoint=$endpoint" --log-level warn \
      >"$work/w$i-$prefix.out" 2>&1 &
    echo $! >"$work/w$i-$prefix.pid"
  done
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  for _ in $(seq 1 600); do [[ $(count 2>/dev/null) == 0 ]] && break; sleep 0.1; done
  sleep 12 # the workers' group settles its assignment
  local started; started=$(now)
  "$bin" send "$work/rows.csv" --url "http://127.0.0.1:$port" --batch 500 >/dev/null 2>&1
  until [[ $(count) -ge $rows ]]; do sleep 0.05; done
  # The lake: each shard's manifest object (its next offset) has reached the warehouse's offset.
  lake_behind() {
    local shard want have
    while read -r shard want; do
      have=$(curl -sf --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$endpoint/lake-$prefix/lake/_stream/shard-$shard" || echo 0)
      [[ $have == "$want" ]] || { echo 1; return; }
    done < <(psql "$url" -tA -F ' ' -c "SELECT shard, next_offset FROM stream_offsets WHERE sink = 'warehouse'")
    echo 0
  }
  until [[ $(lake_behind) == 0 ]]; do sleep 0.05; done
  local took; took=$(echo "$(now) - $started" | bc -l)
  # Checked once, outside the timing: pyarrow reads every line back from the lake.
  local want got; want=$(lines); got=$(lake_rows "lake-$prefix")
  [[ $got == "$want" ]] || { echo "sinks_scale.sh: the lake holds $got lines, PostgreSQL $want" >&2; exit 1; }
  for f in "$work"/*-"$prefix".pid; do kill "$(cat "$f")"; rm "$f"; done
  echo "$rows / $took" | bc -l
}

one=$(run 1 one)
two=$(run 2 two)
redshift=$(run 1 ins "?load=insert")

# (a) PostgreSQL's own COPY of the stored rows.
psql "$url" -qc "\\copy transactions TO '$work/stored.csv' (FORMAT csv)"
stored=$(wc -l <"$work/stored.csv")
psql "$url" -qc "CREATE TABLE copy_peer (LIKE transactions)"
started=$(now)
psql "$url" -qc "\\copy copy_peer FROM '$work/stored.csv' (FORMAT csv)"
peer=$(echo "$stored / ($(now) - $started)" | bc -l)

# (b) S3 uploads: the lake's path beside pyarrow's, the same objects.
head -c $((8 << 20)) /dev/urandom >"$work/object.bin"
make_bucket upload
read -r n bytes ours_s < <("$root/build/bench/s3_upload" "$endpoint" upload ours "$work/object.bin" 16)
read -r n bytes peer_s < <("$py" "$root/bench/s3_upload_peer.py" "$endpoint" upload peer "$work/object.bin" 16)
ours_mb=$(echo "$bytes / 1048576 / $ours_s" | bc -l)
peer_mb=$(echo "$bytes / 1048576 / $peer_s" | bc -l)

printf '== sinks on PostgreSQL and S3: %d generated rows ==\n' "$rows"
printf 'PostgreSQL COPY (psql \\copy, %d rows):            %10.0f rows/s   <- the ceiling\n' "$stored" "$peer"
printf 'S3 PUT, pyarrow (AWS SDK), 16 x 8 MiB:            %10.1f MiB/s   <- the S3 server'"'"'s own rate\n' "$peer_mb"
printf 'S3 PUT, the lake'"'"'s S3Store, 16 x 8 MiB:           %10.1f MiB/s = %.2fx pyarrow\n' "$ours_mb" "$(echo "$ours_mb / $peer_mb" | bc -l)"
printf '1 worker, sent -> stored in PostgreSQL and S3:      %10.0f records/s = %.2fx the COPY ceiling\n' "$one" "$(echo "$one / $peer" | bc -l)"
printf '2 workers sharing the shards:                      %10.0f records/s = %.2fx the ceiling, %.2fx 1 worker\n' \
  "$two" "$(echo "$two / $peer" | bc -l)" "$(echo "$two / $one" | bc -l)"
printf '1 worker, load=insert (Redshift'"'"'s way, no COPY):     %10.0f records/s = %.2fx 1 worker with COPY\n' \
  "$redshift" "$(echo "$redshift / $one" | bc -l)"
