#!/usr/bin/env bash
# Mutation testing (a developer tool, not part of CI): applies every mutation
# in tests/mutation/ to a scratch copy, rebuilds, runs the tests it names and
# reports caught/survived. Arguments: see scripts/mutation.py --help.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test rsync >/dev/null
exec python3 scripts/mutation.py "$@"
