#!/bin/sh
# dial_discover_time.sh: how long a companion takes to find a TV by DIAL across a network link.
# tests/netns/veth_pair.sh makes a "TV" and a "companion" namespace joined by a veth pair
# (10.77.<n>.1/24 and 10.77.<n>.2/24 on veth0, created inside the TV namespace, checked to hold
# only lo and veth0, deleted on exit): the TV runs tv-device --dial --interface veth0, the
# companion `dial-discover --interface veth0 --mx 1 --json --name <the TV>` RUNS times, one after
# another. Prints how many runs found the TV (with its real CII URL, from its address), and p50
# and max of (a) found_after_s as dial-discover reports it (start of discovery to the TV printed)
# and (b) the whole run of the program, exec to exit (it exits as soon as the named TV is
# printed).
#
#   bench/dial_discover_time.sh BIN_DIR [RUNS]     (RUNS default 100; needs root)
#
# Exit status: 0 measured (whatever the figures), 1 could not measure, 2 usage error; 77 when
# no namespaces can be made (veth_pair.sh's).
set -u

if [ "${1:-}" = "__companion" ]; then
    # Inside the companion namespace: RUNS runs, one line each: rc found_after_s run_ms ok.
    bin=$2 runs=$3 name=$4 port=$5 tv_address=$TV_ADDRESS
    cii="ws://$tv_address:$port/cii"
    i=0
    while [ "$i" -lt "$runs" ]; do
        i=$((i + 1))
        start=$(date +%s%N)
        out=$("$bin/dial-discover" --interface veth0 --mx 1 --json --name "$name" --timeout 4 \
              2>/dev/null | head -n 1)
        end=$(date +%s%N)
        rc=0
        [ -n "$out" ] || rc=1
        after=$(printf '%s\n' "$out" | sed -n 's/.*"found_after_s":\([0-9.eE+-]*\).*/\1/p')
        ok=0
        case "$out" in
            *"\"inter_dev_sync_url\":\"$cii\""*"\"address\":\"$tv_address\""*) ok=1 ;;
        esac
        echo "$rc ${after:-nan} $(( (end - start) / 1000000 )) $ok"
    done
    exit 0
fi

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ] || [ ! -x "$1/tv-device" ] || [ ! -x "$1/dial-discover" ]; then
    echo "usage: dial_discover_time.sh BIN_DIR [RUNS]  (BIN_DIR holds tv-device and dial-discover)" >&2
    exit 2
fi
bin=$(cd "$1" && pwd)
runs=${2:-100}
case "$runs" in
    ''|*[!0-9]*|0) echo "dial_discover_time: RUNS must be a positive whole number" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
self=$here/$(basename "$0")
name="dvbcss-bench-TV-$$"
port=7681
log=$(mktemp)
results=$(mktemp)
trap 'rm -f "$log" "$results"' EXIT

echo "dial_discover_time: tv-device --dial --interface veth0 in a TV namespace; $runs runs of" \
     "dial-discover --interface veth0 --mx 1 --json --name $name from a companion namespace"
"$here/../tests/netns/veth_pair.sh" \
    "exec '$bin/tv-device' \$TV_ADDRESS $port \$TV_ADDRESS 6677 --dial --interface veth0 \
         --friendly-name $name --cycle 0 --no-console -Q --loglevel warning" \
    "sh '$self' __companion '$bin' $runs $name $port > '$results'" >"$log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    [ "$status" -eq 77 ] && exit 77
    echo "dial_discover_time: the namespaces or the companion loop failed ($status)" >&2
    exit 1
fi

awk -v runs="$runs" '
    function pct(a, k, q,   i) { i = int(q * (k - 1) + 0.5) + 1; return a[i] }
    { if ($4 == 1) { found++; after[found] = $2 * 1000; whole[found] = $3 } }
    END {
        printf "found the TV (its CII URL, from its address): %d of %d runs\n", found, runs
        if (found == 0) exit
        # insertion sorts: at most a few hundred values
        for (i = 2; i <= found; i++) { v = after[i]; j = i - 1
            while (j >= 1 && after[j] > v) { after[j + 1] = after[j]; j-- } after[j + 1] = v }
        for (i = 2; i <= found; i++) { v = whole[i]; j = i - 1
            while (j >= 1 && whole[j] > v) { whole[j + 1] = whole[j]; j-- } whole[j + 1] = v }
        printf "found_after_s (discovery start -> TV printed): p50 %.0f ms  max %.0f ms  min %.0f ms\n",
               pct(after, found, 0.5), after[found], after[1]
        printf "whole run (exec -> exit after the TV):          p50 %.0f ms  max %.0f ms  min %.0f ms\n",
               pct(whole, found, 0.5), whole[found], whole[1]
    }' "$results"
exit 0
