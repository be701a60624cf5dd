#!/bin/sh
# Runs a command inside a fresh network namespace that holds only the loopback interface, set up
# for SSDP multicast (lo up, multicast on, 239.0.0.0/8 routed to lo), so nothing a test sends or
# receives can reach a real network.
#
#   run_in_netns.sh COMMAND [ARGS...]
#
# Exit status: the command's; 77 (ctest's SKIP_RETURN_CODE) when a namespace cannot be made,
# except under CI=true, where that is a failure (1); 1 when the namespace holds any interface
# other than lo (it then refuses to run the command); 2 on a usage error.
set -u

if [ "$#" -lt 1 ]; then
    echo "usage: run_in_netns.sh COMMAND [ARGS...]" >&2
    exit 2
fi

if [ "${DVBCSS_IN_NETNS:-}" != "1" ]; then
    if ! unshare -n true 2>/dev/null; then
        if [ "${CI:-}" = "true" ]; then
            echo "run_in_netns: cannot create a network namespace (unshare -n), and CI=true" >&2
            exit 1
        fi
        echo "run_in_netns: cannot create a network namespace (unshare -n): skipped" >&2
        exit 77
    fi
    DVBCSS_IN_NETNS=1 exec unshare -n "$0" "$@"
fi

# Inside the new namespace.
links=$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//')
for l in $links; do
    if [ "$l" != "lo" ]; then
        echo "run_in_netns: refusing: the namespace holds interface '$l' besides lo" >&2
        exit 1
    fi
done
ip link set lo up || exit 1
ip link set lo multicast on || exit 1
ip route add 239.0.0.0/8 dev lo || exit 1
exec "$@"
