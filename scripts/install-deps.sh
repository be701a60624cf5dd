#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever the build and tests need and the machine lacks.
# A no-op when everything is present. Run as root (or with sudo available).
set -euo pipefail

packages=(
  g++ cmake ninja-build make git  # compiler and build (make: the install test's consumer project)
  libboost1.81-dev                # Asio (UDP, timers) and Beast (WebSocket/HTTP), Boost.System result<T>
  nlohmann-json3-dev              # JSON for CSS-CII and CSS-TS messages
  libcli11-dev                    # command lines of the programs
  libpugixml-dev                  # DIAL's XML documents (device and application descriptions)
  iproute2 util-linux             # network namespaces for the DIAL (multicast) tests: ip, unshare
  libgtest-dev libgmock-dev       # unit and integration tests
  libbenchmark-dev                # microbenchmarks in bench/
  clang-format                    # style check in CI
  clang libclang-rt-14-dev        # libFuzzer targets (fuzz preset, CI's fuzz phase): clang's runtimes
  nodejs npm                      # the BBC JavaScript peer for interoperability tests
  chromium                        # headless browser for the companion page test (tests/browser)
  # real media (dvbcss::media, tv-device --media, ts-client --play) and its tests
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev   # GStreamer: pipelines, clocks, segments
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good    # demuxers (qtdemux), audio sinks, panning
  gstreamer1.0-plugins-bad gstreamer1.0-libav            # tsdemux, mpegtsmux; AAC/MP2 codecs
  gstreamer1.0-tools gstreamer1.0-pulseaudio             # gst-launch-1.0 (test media), pulsesink/src
  pulseaudio pulseaudio-utils                            # the media tests' own null-sink sound server
  gstreamer1.0-alsa libasound2-plugins                   # alsasink into PulseAudio (ALSA "pulse"
                                                         # device): the end-to-end tests' sink
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs from another repository may provide npm itself
    if [[ "$p" == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
    if [[ "$p" == nodejs ]] && command -v node >/dev/null 2>&1; then continue; fi
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all packages present"
fi
