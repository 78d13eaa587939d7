#!/usr/bin/env bash
# Installs the Debian packages kpi-exporter needs, plus any extra package names
# given as arguments (scripts/bench.sh adds its tools).
#   install-deps.sh          build tools and the runtime libraries: what the demo
#                            (scripts/demo.sh) and a plain build need, nothing more
#   install-deps.sh --test   also the test-only packages (Prometheus, Alertmanager,
#                            doctest, ...); scripts/test.sh uses this
# Prometheus' and Alertmanager's Debian packages start system services on :9090
# and :9093 from their postinst; the tests run their own copies, so while
# installing, a policy-rc.d (exit 101: "action forbidden") keeps every service
# from starting, and the script says so.
# Idempotent: only missing packages are installed; nothing is done when all are present.
set -euo pipefail

build_packages=(
  build-essential cmake ninja-build pkg-config
  prometheus-cpp-dev libcivetweb-dev libtomlplusplus-dev libsimdjson-dev
  libspdlog-dev libfmt-dev libexpected-dev libcurl4-openssl-dev zlib1g-dev
  libjwt-dev libyaml-cpp-dev libcrypt-dev curl python3
)
test_packages=(
  doctest-dev libssl-dev prometheus prometheus-alertmanager binutils openssl python3-cryptography
  clang libclang-rt-14-dev  # sanitizer and fuzz builds (scripts/test.sh)
  chromium  # tests/integration/test_scorecard.py renders the landing page headless
)

packages=("${build_packages[@]}")
if [ "${1:-}" = "--test" ]; then
  shift
  packages+=("${test_packages[@]}")
fi
packages+=("$@")

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

# Keep the packages' services from starting (see above), unless the machine
# already has its own policy-rc.d, which is then left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  echo "install-deps: services of the installed packages are kept from starting ($policy exits 101 during the install)"
  printf '#!/bin/sh\n# written by kpi-exporter scripts/install-deps.sh for the duration of an install\nexit 101\n' \
    | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
