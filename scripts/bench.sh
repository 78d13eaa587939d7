#!/usr/bin/env bash
# Benchmarks, measured against real peers in the same run and reported as
# Markdown tables, never asserted (these machines are shared and noisy).
#   bash scripts/bench.sh            scrape throughput and memory on the demo setup,
#                                    against Debian's prometheus-node-exporter
#   bash scripts/bench.sh github [tests/bench/bench.py flags]
#                                    GitHub at organisation scale: API points per cycle
#                                    against a fake GitHub that charges like GitHub,
#                                    cycle time, memory against prometheus-pushgateway,
#                                    /metrics against pushgateway and nginx
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = github ]; then
  shift
  bash scripts/install-deps.sh --test wrk prometheus-pushgateway nginx-light nodejs procps
  bash scripts/install-npm.sh tests/graphql
  bash scripts/build.sh
  exec python3 tests/bench/bench.py "$@"
fi
bash scripts/install-deps.sh --test wrk prometheus-node-exporter procps
bash scripts/build.sh

duration=${BENCH_SECONDS:-10}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

python3 tests/fake_upstream/fake_upstream.py --fixtures tests/fixtures --port 0 --port-file "$work/fake.port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
sed "s|http://127.0.0.1:9878|http://127.0.0.1:$(cat "$work/fake.port")|g" examples/demo.toml > "$work/kpi.toml"

source examples/demo.env
./build/kpi_exporter --config.file="$work/kpi.toml" \
  --web.listen-address=127.0.0.1:19877 --log.level=warn 2>"$work/kpi.log" &
kpi=$!; pids+=($kpi)
/usr/bin/prometheus-node-exporter --web.listen-address=127.0.0.1:19100 --log.level=warn 2>/dev/null &
node=$!; pids+=($node)
for _ in $(seq 100); do
  curl -fs -o /dev/null http://127.0.0.1:19877/readyz && curl -fs -o /dev/null http://127.0.0.1:19100/metrics && break
  sleep 0.1
done

rps() { wrk -t1 -c4 -d"${duration}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

kpi_metrics=$(rps http://127.0.0.1:19877/metrics)
kpi_health=$(rps http://127.0.0.1:19877/healthz)
node_metrics=$(rps http://127.0.0.1:19100/metrics)
kpi_bytes=$(curl -s http://127.0.0.1:19877/metrics | wc -c)
node_bytes=$(curl -s http://127.0.0.1:19100/metrics | wc -c)
kpi_rss=$(rss_kib $kpi)
node_rss=$(rss_kib $node)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<TABLE
| measure (${duration}s wrk, 1 thread, 4 connections) | kpi_exporter | baseline | ratio |
|---|---|---|---|
| /metrics scrapes/s vs node_exporter /metrics | $kpi_metrics | $node_metrics | $(ratio "$kpi_metrics" "$node_metrics") |
| /metrics scrapes/s vs own /healthz (no work) | $kpi_metrics | $kpi_health | $(ratio "$kpi_metrics" "$kpi_health") |
| bytes per scrape (node_exporter's page is larger) | $kpi_bytes | $node_bytes | $(ratio "$kpi_bytes" "$node_bytes") |
| resident memory after the load, KiB | $kpi_rss | $node_rss | $(ratio "$kpi_rss" "$node_rss") |
TABLE
