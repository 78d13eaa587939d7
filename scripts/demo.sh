#!/usr/bin/env bash
# The offline demo: installs what the build needs (build tools and runtime
# libraries, nothing test-only), builds the exporter, starts the bundled fake
# upstream (canned GitHub, Jira, Stripe, Discord and PyPI answers from
# tests/fixtures) and the exporter with examples/demo.toml pointed at it.
#
#   bash scripts/demo.sh [--background] [--upstream-port=N] [exporter flags...]
#
#   (default)           runs in the foreground; Ctrl-C stops both
#   --background        starts both, prints how to reach and stop them, returns
#   --stop              stops a demo started with --background
#   --upstream-port=N   port of the fake upstream on 127.0.0.1 (default 9878)
#   exporter flags      passed to kpi_exporter as they are, e.g.
#                       --web.listen-address=127.0.0.1:19877 --log.level=debug
set -euo pipefail
cd "$(dirname "$0")/.."

pid_file=build/demo.pids
stop_demo() {
  [ -f "$pid_file" ] || { echo "demo.sh: no demo running in the background ($pid_file missing)"; return 0; }
  # shellcheck disable=SC2046
  kill $(cat "$pid_file") 2>/dev/null || true
  rm -f "$pid_file"
  echo "demo.sh: stopped"
}

background=false
upstream_port=9878
listen_address=":9877"
exporter_args=()
for arg in "$@"; do
  case "$arg" in
    --background) background=true ;;
    --stop) stop_demo; exit 0 ;;
    --upstream-port=*) upstream_port=${arg#*=} ;;
    --web.listen-address=*) listen_address=${arg#*=}; exporter_args+=("$arg") ;;
    *) exporter_args+=("$arg") ;;
  esac
done

bash scripts/install-deps.sh
# The demo needs the binary only: without doctest (a test-only package) the
# tests are left out of the build; scripts/build.sh turns them on again.
tests=OFF
if dpkg-query -W -f='${Status}' doctest-dev 2>/dev/null | grep -q "install ok installed"; then tests=ON; fi
cmake -S . -B build -G Ninja -DKPI_WERROR=ON -DKPI_BUILD_TESTS=$tests >/dev/null
cmake --build build --target kpi_exporter

# demo.toml names the fake upstream's default address; another port is a copy with that one replaced.
config=examples/demo.toml
if [ "$upstream_port" != 9878 ]; then
  config=build/demo.toml
  sed "s|127.0.0.1:9878|127.0.0.1:$upstream_port|g" examples/demo.toml > "$config"
fi

python3 tests/fake_upstream/fake_upstream.py --fixtures tests/fixtures --port "$upstream_port" > build/demo-upstream.log 2>&1 &
fake_pid=$!
$background || trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$upstream_port/rate_limit" 2>/dev/null && break
  kill -0 $fake_pid 2>/dev/null || { cat build/demo-upstream.log; echo "demo.sh: the fake upstream did not start (port $upstream_port taken? --upstream-port=N picks another)"; exit 1; }
  sleep 0.1
done

host=${listen_address%:*}
port=${listen_address##*:}
case "$host" in ""|0.0.0.0|"[::]") host=localhost ;; esac
base="http://$host:$port"

source examples/demo.env
if $background; then
  ./build/kpi_exporter --config.file="$config" "${exporter_args[@]}" > build/demo-exporter.log 2>&1 &
  exporter_pid=$!
  echo "$fake_pid $exporter_pid" > "$pid_file"
  for _ in $(seq 50); do
    curl -fsS -o /dev/null "$base/-/healthy" 2>/dev/null && break
    kill -0 $exporter_pid 2>/dev/null || { cat build/demo-exporter.log; stop_demo; exit 1; }
    sleep 0.1
  done
  cat <<MSG

  kpi-exporter demo runs in the background (fake upstream on http://127.0.0.1:$upstream_port)
    landing page:  $base/
    metrics:       $base/metrics
    readiness:     $base/-/ready
    logs:          build/demo-exporter.log, build/demo-upstream.log
  Stop it with:  bash scripts/demo.sh --stop   (or: kill $fake_pid $exporter_pid)

MSG
  exit 0
fi

cat <<MSG

  kpi-exporter demo is starting in the foreground (fake upstream on http://127.0.0.1:$upstream_port)
    landing page:  $base/
    metrics:       $base/metrics
    readiness:     $base/-/ready
  Ctrl-C stops both. (--background runs it in the background instead.)

MSG
./build/kpi_exporter --config.file="$config" "${exporter_args[@]}"
