#!/usr/bin/env bash
# The one command that installs what is missing, builds, and runs every test
# through ctest. CI (.ci/run) calls exactly this. Five runs, each in its own
# build tree:
#   1. ./build          the normal build (warnings as errors): every test
#   2. ./build-release  the packager's build: Release, warnings as errors, the
#                       program only, installed with DESTDIR and run
#   3. ./build-asan     ASan + LSan + UBSan: every test again
#   4. ./build-tsan     TSan: the unit tests of the threaded parts and every integration test
#   5. ./build-fuzz     clang + libFuzzer + ASan/UBSan: every fuzz target replays its seeds
#                       and regressions, then fuzzes a few seconds (KPI_FUZZ_SECONDS)
# (scripts/release-build.sh runs 2 alone, scripts/sanitize.sh 3 or 4, scripts/fuzz.sh --short 5.)
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
bash scripts/install-npm.sh tests/graphql
stage "normal build and tests" bash -c 'bash scripts/build.sh && ctest --test-dir build --output-on-failure --timeout 300 -j "$(nproc)"'
stage "Release build and install" bash scripts/release-build.sh
stage "ASan+UBSan build and tests" bash scripts/sanitize.sh address
stage "TSan build and tests" bash scripts/sanitize.sh thread
stage "fuzz build and short fuzz runs" bash scripts/fuzz.sh --short
