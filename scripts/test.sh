#!/usr/bin/env bash
# The one command that installs what is missing, builds, and runs every test
# through ctest. CI (.ci/run) calls exactly this. Three runs, each in its own
# build tree:
#   1. ./build       the normal build (warnings as errors): every test
#   2. ./build-asan  ASan + LSan + UBSan: every test again
#   3. ./build-tsan  TSan: the unit tests of the threaded parts and every integration test
# (scripts/sanitize.sh runs 2 or 3 alone.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-k8s-tools.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 300 -j "$(nproc)"
bash scripts/sanitize.sh address
bash scripts/sanitize.sh thread
