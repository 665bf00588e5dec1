#!/usr/bin/env bash
# tls-testbed-cost.sh — what TLS costs between the testbed's hosts: brings the testbed up without TLS, deploys
# stories260K on h1 and h2, runs N `blitz generate --cluster … --json --max-tokens 32` from the root namespace (after one
# uncounted run), takes it down, then does the same with `testbed.sh up --tls`. The client's gateway, the model grain and
# the serving shard may sit on different hosts, so calls and tokens cross the shaped links between silos, in mutual TLS
# in the second half. Prints min / quartiles / max of ttft_ms, tokens_per_second and the command's wall time (which
# includes starting the CLI, loading the certificates and the TLS handshake), and writes them to OUT/tls-testbed-cost.txt.
# Needs root, redis-server and openssl; uses the default testbed addresses, so no other testbed may be up.
# Usage: sudo tools/tls-testbed-cost.sh [N (default 20)] [MBIT (default 1000)] [OUT (default .)]
set -euo pipefail
N=${1:-20}
MBIT=${2:-1000}
OUT=$(realpath "${3:-.}")
here=$(cd "$(dirname "$0")" && pwd)
B="$here/../Cli/bin/Release/net10.0/blitz.dll"
MODEL=$(realpath "$here/../Cli/DefaultModel/stories260K")   # the copy the repository ships
[ "$(id -u)" -eq 0 ] || { echo "tls-testbed-cost.sh: must run as root (the testbed); try: sudo $0 $*" >&2; exit 2; }
[ -f "$B" ] || { echo "tls-testbed-cost.sh: $B not found: build first (dotnet build BlitzScale.sln -c Release)" >&2; exit 2; }
state=$(mktemp -d)
results="$state/results.txt"
: >"$results"
trap '"$here/../testbed/testbed.sh" down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
cluster=(--cluster redis://10.222.0.254:6399 --cluster-id testbed)

measure() { # name [up options]
  local name=$1 t0 t1 json
  shift
  "$here/../testbed/testbed.sh" up --hosts 2 --link-mbit "$MBIT" --state "$state" --timeout 120 "$@" 2>&1 | tail -n 1 >&2
  export BLITZSCALE_CLUSTER_SECRET
  BLITZSCALE_CLUSTER_SECRET=$(cat "$state/secret")
  local -a tls=()
  [ "$name" = plain ] || tls=(--tls-cert "$state/tls/client.pem" --tls-key "$state/tls/client.key" --tls-ca "$state/tls/ca.pem")
  dotnet "$B" deploy "${cluster[@]}" "${tls[@]}" --model "$MODEL" --instances 2 --gpus h1/gpu0 h2/gpu0 >/dev/null
  for k in $(seq 0 "$N"); do
    t0=$(date +%s.%N)
    json=$(dotnet "$B" generate "${cluster[@]}" "${tls[@]}" --model "$MODEL" --json --max-tokens 32 --prompt "Once upon a time")
    t1=$(date +%s.%N)
    [ "$k" -eq 0 ] && continue
    echo "$name $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["ttft_ms"], d["tokens_per_second"])' "$json") $(echo "$t1 - $t0" | bc)" >>"$results"
  done
  "$here/../testbed/testbed.sh" down --state "$state" 2>&1 | tail -n 1 >&2
}

measure plain
measure tls --tls
python3 "$here/quartiles.py" "$results" | tee "$OUT/tls-testbed-cost.txt"
