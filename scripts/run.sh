#!/usr/bin/env bash
# README command 1: install what is missing, build, and start the main job: tv-device, a pretend TV,
# on loopback (CSS-CII ws://127.0.0.1:7681/cii, CSS-TS ws://127.0.0.1:7681/ts, CSS-WC udp://127.0.0.1:6677).
# Arguments, if any, replace the loopback addresses and ports: scripts/run.sh 0.0.0.0 7681 0.0.0.0 6677
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
if [[ $# -eq 0 ]]; then
  set -- 127.0.0.1 7681 127.0.0.1 6677
fi
exec build/bin/tv-device "$@"
