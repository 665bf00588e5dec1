#!/usr/bin/env bash
# link-cost.sh — what the data plane's chunk MACs and the cluster's TLS cost on the testbed's link. Runs
# `blitz bench chunk-mac` and tools/tls-cost.sh inside a network namespace of their own whose loopback is shaped the way
# testbed/testbed.sh shapes each host's link: a token bucket filter at MBIT Mbit/s, burst max(2 ms at the rate, 128 KiB),
# latency 20 ms. Every byte between the two sides (the blob servers and their clients; the silos and the CLI) crosses
# that filter once. Loopback's frames are 64 KiB, not the testbed's 1,514 B, so a flow tops out nearer the rate here.
# Needs root (ip netns, tc). Writes chunk-mac-link.json and tls-cost-link.txt into OUT.
# Usage: sudo tools/link-cost.sh [MBIT (default 1000)] [N tls-cost rounds (default 20)] [OUT (default .)] [BLITZ_DLL]
set -euo pipefail
MBIT=${1:-1000}
N=${2:-20}
OUT=$(realpath "${3:-.}")
here=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${4:-$here/../Cli/bin/Release/net10.0/blitz.dll}")
[ "$(id -u)" -eq 0 ] || { echo "link-cost.sh: must run as root (ip netns, tc); try: sudo $0 $*" >&2; exit 2; }
[ -f "$B" ] || { echo "link-cost.sh: $B not found: build first (dotnet build BlitzScale.sln -c Release)" >&2; exit 2; }
command -v tc >/dev/null || { echo "link-cost.sh: 'tc' (iproute2) is missing: apt-get install -y iproute2" >&2; exit 2; }

burst=$(( MBIT * 1000000 / 8 / 500 ))   # 2 ms at the rate, as testbed.sh
[ "$burst" -ge 131072 ] || burst=131072
ns=blitz-linkcost-$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" tc qdisc add dev lo root tbf rate "${MBIT}mbit" burst "$burst" latency 20ms
echo "link-cost.sh: namespace $ns, loopback shaped to $MBIT Mbit/s (tbf, burst $burst B)" >&2

# 512 MiB at 1 Gbit/s is about 4.3 s a transfer, four transfers a round (TCP and shared memory, each with and without MACs;
# shared memory does not cross the link).
ip netns exec "$ns" dotnet "$B" bench chunk-mac --mib 512 --rounds 3 --json "$OUT/chunk-mac-link.json"
ip netns exec "$ns" "$here/tls-cost.sh" "$N" "$B" | tee "$OUT/tls-cost-link.txt"
