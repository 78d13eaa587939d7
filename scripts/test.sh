#!/usr/bin/env bash
# The one command that installs what is missing, builds, and runs every test
# through ctest. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-k8s-tools.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 300 -j "$(nproc)"
