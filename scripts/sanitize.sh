#!/usr/bin/env bash
# Builds kpi-exporter with a sanitizer in its own tree and runs tests there
# (scripts/test.sh runs both; one is enough to reproduce a finding locally):
#
#   bash scripts/sanitize.sh address   ASan + LSan + UBSan in ./build-asan: the whole ctest suite
#   bash scripts/sanitize.sh thread    TSan in ./build-tsan: the unit tests of the threaded parts
#                                      (TSAN_UNIT_TESTS below) and every integration test
#
# Extra arguments go to ctest, e.g. `bash scripts/sanitize.sh thread -R integration:`.
# Any finding aborts the sanitized program (see tests/sanitizers/options.cc),
# so the test that met it fails with the report in its output or log.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where the threads are: the scheduler and its workers, the snapshot store,
# the HTTP client (libcurl, cancellation) and the HTTP server and app
# (CivetWeb's handler threads, reload, shutdown). Source files of unit tests.
TSAN_UNIT_TESTS=(
  tests/exporter/scheduler_test.cc
  tests/exporter/snapshot_store_test.cc
  tests/collectors/common/upstream/http_client_test.cc
  tests/exporter/web/http_server_test.cc
  tests/exporter/app_test.cc
)

kind="${1:-}"
shift || true
case "$kind" in
  address) dir=build-asan ;;
  thread) dir=build-tsan ;;
  *) echo "usage: $0 address|thread [ctest arguments]" >&2; exit 2 ;;
esac

cmake -S . -B "$dir" -G Ninja -DKPI_WERROR=ON -DKPI_SANITIZE="$kind" >/dev/null
# Only what the tests run: the program, the dashboard generator (integration: helm) and the unit test binary.
cmake --build "$dir" --target kpi_exporter kpi_dashboard unit_tests

if [ "$kind" = address ]; then
  # LeakSanitizer stops the process's threads with ptrace at exit; some
  # sandboxes forbid that and LSan then fails every program. Probe with the
  # built binary, and without LSan go on with ASan and UBSan only.
  if ! probe=$(./"$dir"/kpi_exporter --version 2>&1); then
    if grep -q "LeakSanitizer has encountered a fatal error" <<<"$probe"; then
      echo "sanitize: WARNING: LeakSanitizer does not work on this machine (no ptrace?); running without leak checks" >&2
      export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    else
      echo "$probe" >&2
      exit 1
    fi
  fi
  ctest --test-dir "$dir" --output-on-failure --timeout 300 -j "$(nproc)" "$@"
else
  # ctest -R for the unit cases of TSAN_UNIT_TESTS (doctest lists them by
  # source file; names escaped for CMake's regex) and every integration test.
  for file in "${TSAN_UNIT_TESTS[@]}"; do
    [ -f "$file" ] || { echo "sanitize: $file (in TSAN_UNIT_TESTS) does not exist" >&2; exit 1; }
  done
  filter=$(printf '*/%s,' "${TSAN_UNIT_TESTS[@]}")
  cases=$(./"$dir"/tests/unit_tests --list-test-cases --no-version --source-file="${filter%,}")
  selection=$(python3 -c '
import re, sys
names = [l for l in sys.stdin.read().splitlines() if l and not l.startswith(("[doctest]", "====="))]
assert names, "no unit test case found in the TSan selection"
print("^unit: ?(" + "|".join(re.sub(r"([][\\^$.|?*+()])", r"\\\1", n) for n in names) + ")$|^integration: ")
' <<<"$cases")
  ctest --test-dir "$dir" --output-on-failure --timeout 300 -j "$(nproc)" -R "$selection" "$@"
fi
