#!/usr/bin/env bash
# Configures and builds the dev preset into build/ (binaries in build/bin/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/configure.sh dev build
cmake --build --preset dev
