#!/bin/sh
# Runs a TV command and a companion command in two network namespaces of their own ("tv" and
# "companion"), joined by a veth pair with 10.77.<n>.1/24 (TV) and 10.77.<n>.2/24 (companion),
# multicast routed over the veth and lo up in each; nothing touches the machine's own namespace
# (the veth is created inside the TV namespace). Both namespaces are deleted on exit (trap).
#
#   veth_pair.sh TV_COMMAND COMPANION_COMMAND
#
# The commands are shell text; the interface is named "veth0" on both sides, and $TV_ADDRESS and
# $COMPANION_ADDRESS are exported to both. The TV command runs in the background (its output
# prefixed with "tv: "), the companion command in the foreground after the TV has had a second
# to start.
#
# Exit status: the companion command's; 77 when the namespaces cannot be made (1 under
# CI=true); 1 when a namespace holds an interface other than lo and veth0; 2 on a usage error.
set -u

if [ "$#" -ne 2 ]; then
    echo "usage: veth_pair.sh TV_COMMAND COMPANION_COMMAND" >&2
    exit 2
fi
n=$(( $$ % 250 + 1 ))
tv_ns="dvbcss-tv-$$"
co_ns="dvbcss-companion-$$"
TV_ADDRESS="10.77.$n.1"
COMPANION_ADDRESS="10.77.$n.2"
export TV_ADDRESS COMPANION_ADDRESS
tv_pid=""

cleanup() {
    if [ -n "$tv_pid" ]; then
        kill "$tv_pid" 2>/dev/null
        wait "$tv_pid" 2>/dev/null
    fi
    ip netns del "$tv_ns" 2>/dev/null
    ip netns del "$co_ns" 2>/dev/null
}
trap cleanup EXIT INT TERM

cannot() {
    if [ "${CI:-}" = "true" ]; then
        echo "veth_pair: cannot make the namespaces ($1), and CI=true" >&2
        exit 1
    fi
    echo "veth_pair: cannot make the namespaces ($1): skipped" >&2
    exit 77
}

ip netns add "$tv_ns" 2>/dev/null || cannot "ip netns add"
ip netns add "$co_ns" 2>/dev/null || cannot "ip netns add"
ip -n "$tv_ns" link add veth0 type veth peer name veth0 netns "$co_ns" || cannot "veth"

setup() { # namespace address
    ip -n "$1" link set lo up || return 1
    ip -n "$1" addr add "$2/24" dev veth0 || return 1
    ip -n "$1" link set veth0 multicast on up || return 1
    ip -n "$1" route add 239.0.0.0/8 dev veth0 || return 1
    for l in $(ip -n "$1" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
        if [ "$l" != "lo" ] && [ "$l" != "veth0" ]; then
            echo "veth_pair: refusing: namespace $1 holds interface '$l'" >&2
            exit 1
        fi
    done
}
setup "$tv_ns" "$TV_ADDRESS" || cannot "addresses"
setup "$co_ns" "$COMPANION_ADDRESS" || cannot "addresses"

ip netns exec "$tv_ns" sh -c "$1" 2>&1 | sed 's/^/tv: /' &
tv_pid=$!
sleep 1
ip netns exec "$co_ns" sh -c "$2"
status=$?
# The TV side is a pipeline: stop the TV command itself, then the pipeline.
ip netns pids "$tv_ns" 2>/dev/null | xargs -r kill 2>/dev/null
exit $status
