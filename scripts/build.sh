#!/usr/bin/env bash
# Configures and builds kpi-exporter in ./build (Release with debug info,
# warnings as errors). Extra arguments go to cmake, e.g. -DKPI_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DKPI_WERROR=ON -DKPI_BUILD_TESTS=ON "$@" >/dev/null
cmake --build build
