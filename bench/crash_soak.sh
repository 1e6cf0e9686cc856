#!/usr/bin/env bash
# The crash test's long variant: kill -9 the server KILLS times (default 100) while
# `shopflow send` streams the December data; at the end every row is in every sink exactly once.
# usage: bench/crash_soak.sh [KILLS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $root/build/tests/serve_tests ]] || "$root/scripts/build" >/dev/null
SHOPFLOW_CRASH_KILLS=${1:-100} "$root/build/tests/serve_tests" --gtest_filter='Crash.*'
