#!/bin/sh
# Makes the media tests' generated media in OUTDIR (about 30 s each, a few MB in all):
#
#   clicks.wav         mono 48 kHz PCM click track (tests/media/tools/make_click_track.cpp):
#                      5 ms 3 kHz clicks from 0.5 s, 300-700 ms apart (seeded, irregular, so an
#                      offset of a whole interval cannot look like sync)
#   clicks-onsets.txt  each click's start in seconds of the track, one a line
#   clicks.ts          MPEG-TS, the clicks as AAC (PTS origin 3600 s: mpegtsmux's, not zero)
#   clicks.mp4         MP4, the clicks as AAC (track timescale 48 kHz)
#   av.ts              MPEG-TS, MPEG-2 video 176x144 25 fps (moving test card) + the AAC clicks
#   short.ts           MPEG-TS, 4 s of other clicks as AAC: "a different file" for a companion
#   temi.ts            clicks.ts with TEMI: temi:1:1 (1 kHz from 0 s) and temi:1:2 (90 kHz from
#                      10 s) on the audio PID, component tag 1 (tests/media/tools/add_temi.cpp)
#
#   make-test-media.sh OUTDIR [--tool MAKE_CLICK_TRACK] [--temi-tool ADD_TEMI]
#
# Without --tool, the click generator is compiled from source with ${CXX:-c++} into OUTDIR;
# without --temi-tool, likewise the TEMI writer.
# MPEG-2 video comes from mpeg2enc: avenc_mpeg2video of Debian 12's gstreamer1.0-libav 1.22.0
# refuses every frame rate ("does not support 1000000000/1 fps").
# Each file is written under a temporary name and renamed when complete.
# Exit status: 0 made; 1 a tool or GStreamer element is missing or an encoding failed (one line
# on stderr says which); 2 usage error.
set -u

usage() {
    echo "usage: make-test-media.sh OUTDIR [--tool MAKE_CLICK_TRACK] [--temi-tool ADD_TEMI]" >&2
    exit 2
}
fail() {
    echo "make-test-media: $*" >&2
    exit 1
}

[ "$#" -ge 1 ] || usage
out=$1
shift
tool=""
temi_tool=""
while [ "$#" -gt 0 ]; do
    case "$1" in
    --tool) [ "$#" -ge 2 ] || usage; tool=$2; shift 2 ;;
    --temi-tool) [ "$#" -ge 2 ] || usage; temi_tool=$2; shift 2 ;;
    *) usage ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out" || fail "cannot create $out"

command -v gst-launch-1.0 >/dev/null || fail "gst-launch-1.0 not found (package gstreamer1.0-tools)"
for element in wavparse audioconvert avenc_aac aacparse mpegtsmux mp4mux videotestsrc mpeg2enc \
    mpegvideoparse; do
    gst-inspect-1.0 --exists "$element" ||
        fail "GStreamer element $element not found (scripts/install-deps.sh installs its plugin)"
done

if [ -z "$tool" ]; then
    tool="$out/make_click_track"
    "${CXX:-c++}" -std=c++20 -O2 -o "$tool" "$here/../tests/media/tools/make_click_track.cpp" ||
        fail "cannot compile the click generator"
fi
if [ -z "$temi_tool" ]; then
    temi_tool="$out/add_temi"
    "${CXX:-c++}" -std=c++20 -O2 -o "$temi_tool" "$here/../tests/media/tools/add_temi.cpp" ||
        fail "cannot compile the TEMI writer"
fi

"$tool" "$out/clicks.wav.part" --seconds 30 --seed 12 --onsets "$out/clicks-onsets.txt.part" ||
    fail "the click generator failed"
mv "$out/clicks.wav.part" "$out/clicks.wav" && mv "$out/clicks-onsets.txt.part" "$out/clicks-onsets.txt" ||
    fail "cannot rename in $out"

encode() { # NAME PIPELINE...
    name=$1
    shift
    gst-launch-1.0 -q "$@" >"$out/$name.log" 2>&1 || {
        tail -n 3 "$out/$name.log" >&2
        fail "encoding $name failed (log: $out/$name.log)"
    }
    [ -s "$out/$name.part" ] || fail "encoding $name produced nothing (log: $out/$name.log)"
    mv "$out/$name.part" "$out/$name" || fail "cannot rename $name"
    rm -f "$out/$name.log"
}

aac="wavparse ! audioconvert ! avenc_aac bitrate=128000 ! aacparse"
# shellcheck disable=SC2086 # $aac is a pipeline fragment, split on purpose
encode clicks.ts filesrc location="$out/clicks.wav" ! $aac ! mpegtsmux ! \
    filesink location="$out/clicks.ts.part"
"$temi_tool" "$out/clicks.ts" "$out/temi.ts.part" --component-tag 1 --timeline 1:1000:0 \
    --timeline 2:90000:10 || fail "the TEMI writer failed on clicks.ts"
mv "$out/temi.ts.part" "$out/temi.ts" || fail "cannot rename temi.ts"
# shellcheck disable=SC2086
encode clicks.mp4 filesrc location="$out/clicks.wav" ! $aac ! mp4mux ! \
    filesink location="$out/clicks.mp4.part"
# shellcheck disable=SC2086
encode av.ts mpegtsmux name=mux ! filesink location="$out/av.ts.part" \
    filesrc location="$out/clicks.wav" ! $aac ! queue ! mux. \
    videotestsrc num-buffers=750 pattern=smpte horizontal-speed=2 ! \
    video/x-raw,format=I420,width=176,height=144,framerate=25/1 ! mpeg2enc format=3 ! \
    mpegvideoparse ! queue ! mux.

"$tool" "$out/short.wav" --seconds 4 --seed 13 || fail "the click generator failed"
# shellcheck disable=SC2086
encode short.ts filesrc location="$out/short.wav" ! $aac ! mpegtsmux ! \
    filesink location="$out/short.ts.part"
rm -f "$out/short.wav"
