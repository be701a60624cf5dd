#!/usr/bin/env bash
# Wall clock client accuracy, per estimator, with the BBC JavaScript client alongside.
#
# Our wallclock-server and every client run on this machine and read the same CLOCK_MONOTONIC
# (Node's process.hrtime.bigint() reads it too), so the true offset between the server's wall
# clock and each client's local clock is 0: whatever offset a client ends up with is its error.
#
# Scenarios (each runs all clients at once for DURATION seconds, default 10):
#   loopback          clients talk to the server directly
#   relay 5±2 ms      through bench/udp_relay: each datagram delayed 5 ms ± 2 ms (uniform), seeded
#   relay asym+loss   5 ms ± 2 ms, 2 ms asymmetry (request path +1 ms, response path -1 ms, so the
#                     expected bias is +1 ms) and 5 % loss each way
#   loopback, follow-ups   as loopback, server sends type 2 + type 3
#   loopback, tuned   defaults except: requests every 0.1 s (--interval 0.1), server --mfe 50 and
#                     client --local-mfe 50 (CLOCK_MONOTONIC is NTP-disciplined: tens of ppm is
#                     realistic); the configuration meant to keep the dispersion under 100 µs
#
# Usage: bench/wc_relay_accuracy.sh [BIN_DIR] [DURATION]
#   BIN_DIR: where wallclock-server, wallclock-client and udp_relay are (default build/bin)
# Needs node and tests/interop/node_modules for the JS client (skipped without them).

set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${1:-$root/build/bin}"
duration="${2:-10}"
interop="$root/tests/interop"
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

have_js=0
if command -v node >/dev/null && [ -d "$interop/node_modules/dvbcss-protocols" ]; then
    have_js=1
fi

# Prints the port a program announced on its first output line ("... port N" or "... on A N").
wait_port() {
    local file="$1" port=""
    for _ in $(seq 1 100); do
        port="$(grep -oE '(port|on [^ ]+) [0-9]+' "$file" 2>/dev/null | head -1 | grep -oE '[0-9]+$' || true)"
        [ -n "$port" ] && break
        sleep 0.05
    done
    echo "$port"
}

# The BBC JS client for $2 seconds against 127.0.0.1:$1; prints "<error ms> <dispersion ms>".
js_client() {
    (cd "$interop" && node --no-deprecation --input-type=module -e '
import dgram from "node:dgram";
import protocols from "dvbcss-protocols";
import clocks from "dvbcss-clocks";
const [port, seconds] = [Number(process.argv[1]), Number(process.argv[2])];
const socket = dgram.createSocket("udp4");
await new Promise((r) => socket.bind(0, "127.0.0.1", r));
const wall = new clocks.CorrelatedClock(new clocks.DateNowClock(), { tickRate: 1e9 });
const client = protocols.WallClock.createBinaryUdpClient(socket, wall,
    { dest: { address: "127.0.0.1", port }, requestInterval: 1000 });
await new Promise((r) => setTimeout(r, seconds * 1000));
let sum = 0;
for (let i = 0; i < 50; i++) {
    const a = process.hrtime.bigint(); const w = wall.getNanos(); const b = process.hrtime.bigint();
    sum += w - Number((a + b) / 2n);
    await new Promise((r) => setTimeout(r, 3));
}
const disp = wall.dispersionAtTime(wall.now()) * 1e3;
console.log((sum / 50 / 1e6).toFixed(3), disp.toFixed(3));
client.stop(); socket.close();
' "$1" "$2")
}

run_scenario() {
    local name="$1" server_args="$2" relay_args="$3" client_args="${4:-}"
    "$bin/wallclock-server" 127.0.0.1 0 --loglevel error $server_args >"$work/server.out" 2>&1 &
    local spid=$!
    pids+=("$spid")
    local sport
    sport="$(wait_port "$work/server.out")"
    local target="$sport" rpid=""
    if [ -n "$relay_args" ]; then
        "$bin/udp_relay" --server "127.0.0.1:$sport" $relay_args >"$work/relay.out" 2>&1 &
        rpid=$!
        pids+=("$rpid")
        target="$(wait_port "$work/relay.out")"
    fi
    local algos=(lowest-dispersion filter-predict most-recent)
    for a in "${algos[@]}"; do
        "$bin/wallclock-client" 127.0.0.1 "$target" 127.0.0.1 0 --json -q \
            --duration "$duration" --algorithm "$a" $client_args >"$work/$a.json" 2>"$work/$a.err" &
        pids+=("$!")
    done
    local jpid=""
    if [ "$have_js" = 1 ]; then
        js_client "$target" "$duration" >"$work/js.out" 2>"$work/js.err" &
        jpid=$!
        pids+=("$jpid")
    fi
    sleep "$duration"
    sleep 1.5
    wait "${pids[@]: -3}" 2>/dev/null || true
    [ -n "$jpid" ] && wait "$jpid" 2>/dev/null || true
    printf '%-26s %-20s %14s %16s %9s\n' "$name" "client" "true error ms" "dispersion ms" "accepted"
    for a in "${algos[@]}"; do
        local line
        line="$(grep '"event":"summary"' "$work/$a.json" || true)"
        if [ -z "$line" ]; then
            printf '%-26s %-20s %14s\n' "" "$a" "no summary"
            continue
        fi
        python3 - "$line" "$a" "$name" <<'EOF'
import json, sys
s = json.loads(sys.argv[1])
d = s["dispersion_ns"]
o = s["offset_ns"]
print("%-26s %-20s %14s %16s %9s" % ("", sys.argv[2], "unknown" if o is None else "%.3f" % (o / 1e6),
      "inf" if d is None else "%.3f" % (d / 1e6), "%d/%d" % (s["candidates_accepted"], s["responses"])))
EOF
    done
    if [ "$have_js" = 1 ]; then
        read -r err disp <"$work/js.out" || true
        printf '%-26s %-20s %14s %16s %9s\n' "" "BBC JS client" "${err:-?}" "${disp:-?}" "-"
    fi
    kill "$spid" 2>/dev/null || true
    [ -n "$rpid" ] && kill "$rpid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    [ -n "$rpid" ] && wait "$rpid" 2>/dev/null || true
    pids=()
}

echo "duration ${duration} s per scenario; true offset 0 (all read CLOCK_MONOTONIC)"
run_scenario "loopback" "" ""
run_scenario "loopback, follow-ups" "--fr" ""
run_scenario "loopback, tuned" "--mfe 50" "" "--interval 0.1 --local-mfe 50"
run_scenario "loopback, tuned, follow-ups" "--mfe 50 --fr" "" "--interval 0.1 --local-mfe 50"
run_scenario "relay 5±2 ms" "" "--delay-ms 5 --jitter-ms 2 --seed 1"
run_scenario "relay 5±2 ms, asym 2, 5% loss" "" \
    "--delay-ms 5 --jitter-ms 2 --asymmetry-ms 2 --loss 0.05 --seed 2"
