#!/usr/bin/env bash
# PySpark (from PyPI, in third_party/venv-spark, made here) reads the lake of the December file
# and gets CONTRACT.md's figures; `shopflow sql` runs the same query beside it.
# usage: bench/lake_pyspark.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $root/build/shopflow ]] || "$root/scripts/build" >/dev/null
venv=$root/third_party/venv-spark
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyspark==3.5.7
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"$root/build/shopflow" batch "$root/../shared/data/online_retail_2010-12.csv" --data "$data" >/dev/null
"$venv/bin/python" "$root/bench/lake_pyspark.py" "$root/build/shopflow" "$data"
