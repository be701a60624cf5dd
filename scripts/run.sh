#!/usr/bin/env bash
# README command 1: install what is missing, build, and start the main job: a pretend TV on loopback
# (CSS-WC on udp://127.0.0.1:6677, CSS-CII on ws://127.0.0.1:7681/cii, CSS-TS on ws://127.0.0.1:7681/ts).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
main=build/bin/tv-device
if [[ ! -x $main ]]; then
  main=build/bin/cii-server     # until tv-device exists, the most complete program
fi
exec "$main" "$@"
