#!/usr/bin/env bash
# A packager's build, as scripts/test.sh checks it: Release (-O3, no debug
# info) with warnings as errors in ./build-release, the program only (no
# tests), installed with DESTDIR under the default prefix; the installed
# binary then prints its version and accepts the installed example config.
# Optimisation changes what GCC warns about (-Wrestrict, -Wmaybe-uninitialized
# and -Wstringop-* only look at inlined code), so the default build being
# clean says nothing about this one.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DKPI_WERROR=ON -DKPI_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target kpi_exporter
destdir="$PWD/build-release/pkg"
rm -rf "$destdir"
DESTDIR="$destdir" cmake --install build-release >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' build-release/CMakeCache.txt)
"$destdir$prefix/bin/kpi_exporter" --version
env -u GITHUB_TOKEN "$destdir$prefix/bin/kpi_exporter" check-config \
  --config.file="$destdir$prefix/etc/kpi-exporter/kpi-exporter.toml"
