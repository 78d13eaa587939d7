#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang in ./build-fuzz and runs
# them: one target, or all one after another, for the given seconds each.
#
#   bash scripts/fuzz.sh                 every target, 60 s each
#   bash scripts/fuzz.sh github 600      fuzz_github for 10 minutes
#   bash scripts/fuzz.sh --short         what scripts/test.sh runs: the ctest entries
#                                        "fuzz: <target>" (seeds, regressions, then a few seconds)
#
# Inputs found go to build-fuzz/fuzz-corpus/<target> (kept between runs; the
# fixtures they started from are only read); a crash stops the target and is
# saved as build-fuzz/fuzz-artifacts/<target>-crash-<sha1>. Fix it, then copy the
# input into tests/fuzz/regressions/<target>/ so every run replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DKPI_FUZZ=ON >/dev/null
cmake --build build-fuzz --target fuzzers

# As scripts/sanitize.sh: where a sandbox forbids LeakSanitizer's ptrace, go on
# without leak checks (with a warning) instead of failing every target.
if ! probe=$(./build-fuzz/tests/fuzz/fuzz_time -runs=1 2>&1); then
  if grep -q "LeakSanitizer has encountered a fatal error" <<<"$probe"; then
    echo "fuzz: WARNING: LeakSanitizer does not work on this machine (no ptrace?); fuzzing without leak checks" >&2
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  else
    echo "$probe" >&2
    exit 1
  fi
fi

if [ "${1:-}" = --short ]; then
  shift
  exec ctest --test-dir build-fuzz --output-on-failure -j "$(nproc)" "$@"
fi

target="${1:-all}"
seconds="${2:-60}"
if [ "$target" = all ]; then
  targets=$(sed -n 's/^set(KPI_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
else
  targets=$target
fi
for t in $targets; do
  [ -x "build-fuzz/tests/fuzz/fuzz_$t" ] || { echo "fuzz: no target '$t' (tests/fuzz/fuzz_$t.cc)" >&2; exit 2; }
  echo "fuzz: fuzz_$t for $seconds s"
  # The ctest entry's command line (seeds, regressions, limits), with the
  # longer time last: libFuzzer takes the last value of a repeated flag.
  args=$(ctest --test-dir build-fuzz -R "^fuzz: $t\$" --show-only=json-v1 | python3 -c '
import json, shlex, sys
test = json.load(sys.stdin)["tests"][0]
print(" ".join(shlex.quote(a) for a in test["command"]))')
  eval "set -- $args"
  "$@" -max_total_time="$seconds" 2>&1 | grep -v "^#[0-9]" | tail -25
done
