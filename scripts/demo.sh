#!/usr/bin/env bash
# The offline demo: installs what is missing, builds, starts the bundled fake
# upstream (canned GitHub, Jira, Stripe, Discord and PyPI answers
# from tests/fixtures) on 127.0.0.1:9878 and the
# exporter on :9877 with examples/demo.toml. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh

python3 tests/fake_upstream/fake_upstream.py --fixtures tests/fixtures --port 9878 &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fsS -o /dev/null http://127.0.0.1:9878/rate_limit 2>/dev/null && break
  sleep 0.1
done

cat <<MSG

  kpi-exporter demo is starting (fake upstream on http://127.0.0.1:9878)
    landing page:  http://localhost:9877/
    metrics:       http://localhost:9877/metrics
    readiness:     http://localhost:9877/readyz
  Ctrl-C to stop.

MSG
source examples/demo.env
./build/kpi_exporter --config.file=examples/demo.toml "$@"
