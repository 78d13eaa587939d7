#!/usr/bin/env bash
# The one command that installs what is missing, builds, and runs every test
# through ctest. CI (.ci/run) calls exactly this. Four runs, each in its own
# build tree:
#   1. ./build       the normal build (warnings as errors): every test
#   2. ./build-asan  ASan + LSan + UBSan: every test again
#   3. ./build-tsan  TSan: the unit tests of the threaded parts and every integration test
#   4. ./build-fuzz  clang + libFuzzer + ASan/UBSan: every fuzz target replays its seeds
#                    and regressions, then fuzzes a few seconds (KPI_FUZZ_SECONDS)
# (scripts/sanitize.sh runs 2 or 3 alone, scripts/fuzz.sh --short runs 4.)
set -euo pipefail
cd "$(dirname "$0")/.."

stage() {  # stage <name> <command...>: runs it and says how long it took
  local name=$1 started=$SECONDS
  shift
  "$@"
  echo "test.sh: $name took $((SECONDS - started)) s"
}

bash scripts/install-deps.sh --test
bash scripts/install-k8s-tools.sh
stage "normal build and tests" bash -c 'bash scripts/build.sh && ctest --test-dir build --output-on-failure --timeout 300 -j "$(nproc)"'
stage "ASan+UBSan build and tests" bash scripts/sanitize.sh address
stage "TSan build and tests" bash scripts/sanitize.sh thread
stage "fuzz build and short fuzz runs" bash scripts/fuzz.sh --short
