#!/usr/bin/env bash
# Installs the Debian packages kpi-exporter builds and tests with, plus any
# extra package names given as arguments (scripts/bench.sh adds its tools).
# Idempotent: only missing packages are installed; nothing is done when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  prometheus-cpp-dev libcivetweb-dev libtomlplusplus-dev libsimdjson-dev
  libspdlog-dev libfmt-dev libexpected-dev libcurl4-openssl-dev zlib1g-dev
  doctest-dev libjwt-dev libssl-dev libyaml-cpp-dev libcrypt-dev
  clang libclang-rt-14-dev
  prometheus prometheus-alertmanager curl python3 binutils openssl python3-cryptography
  chromium  # test-only: tests/integration/test_scorecard.py renders the landing page headless
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
