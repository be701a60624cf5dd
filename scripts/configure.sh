#!/usr/bin/env bash
# Configures a CMake preset into BUILD_DIR: `cmake --preset PRESET -B BUILD_DIR`.
# The presets use Ninja, which, unlike make, compiles a target's sources while the libraries it
# links are still being built, so both cores stay busy. A tree configured earlier with another
# generator (make) cannot be reused by CMake: its cache is removed first, with a line saying so.
#
#   scripts/configure.sh PRESET BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# != 2)); then
    echo "usage: scripts/configure.sh PRESET BUILD_DIR" >&2
    exit 2
fi
preset=$1
dir=$2
cache=$dir/CMakeCache.txt
if [[ -f $cache ]] && ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$cache"; then
    echo "configure: $dir was made with another generator; removing its CMake cache to use Ninja" >&2
    rm -rf "$cache" "$dir/CMakeFiles"
fi
cmake --preset "$preset" -B "$dir" >/dev/null
