#!/usr/bin/env bash
# README command 2: install what is missing, build, and run every test (unit, integration, fuzz
# corpus replay, interop against the BBC JavaScript implementation, install/consumer).
set -euo pipefail
cd "$(dirname "$0")/.."
# The interop tests' npm packages come from ctest's interop_npm_ci fixture: `npm ci` only when
# tests/interop/node_modules is missing or older than its package-lock.json, so a second run needs
# no network.
scripts/install-deps.sh
scripts/build.sh
ctest --preset dev
