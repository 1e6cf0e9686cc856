#!/usr/bin/env bash
# Loops of kill -9, a full disk (a tmpfs kept full; skipped where it cannot be mounted) and a
# corrupted log segment (then `shopflow log repair`) while `shopflow send` streams a generated
# file; ends with every sink equal to a batch import of the file. Prints what it survived.
# usage: bench/torture.sh [--minutes 10] [--rows 300000] [--seed 7]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $root/build/shopflow ]] || "$root/scripts/build" >/dev/null
SHOPFLOW_BIN=$root/build/shopflow SHOPFLOW_SHARED_DATA=$root/../shared/data PYTHONDONTWRITEBYTECODE=1 \
  exec /usr/bin/python3 "$root/bench/torture.py" "$@"
