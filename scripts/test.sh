#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test (unit, integration, fuzz
# corpus replay, interop against the BBC JavaScript implementation, install/consumer).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [[ -f tests/interop/package-lock.json ]]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi
scripts/build.sh
ctest --preset dev
