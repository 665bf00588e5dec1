#!/usr/bin/env bash
# tls-cost.sh — what TLS costs a generate round trip on localhost: one silo without TLS and one with (certificates made
# here with openssl, as docs/security.md shows), then N alternating `blitz generate --cluster … --json` runs against
# each (stories260K, 32 tokens). Prints min / quartiles / max of ttft_ms, tokens_per_second and the command's wall time
# (which includes starting the CLI, loading the certificates and the TLS handshake).
# Usage: tools/tls-cost.sh [N (default 15)] [BLITZ_DLL (default Cli/bin/Release/net10.0/blitz.dll)]
# Ports 21211, 21311, 23100, 23200 must be free.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
N=${1:-15}
B=$(realpath "${2:-Cli/bin/Release/net10.0/blitz.dll}")
dir=$(mktemp -d)
cd "$dir"
"$here/certificates.sh" . tls-cost-ca silo=IP:127.0.0.1 client=IP:127.0.0.1
export BLITZSCALE_CLUSTER_SECRET=$(head -c 24 /dev/urandom | base64)
dotnet "$B" silo --host plain --silo-port 21211 --primary-port 21211 --gateway-port 23100 --dashboard false --api false >plain.log 2>&1 &
plain=$!
dotnet "$B" silo --host tls --silo-port 21311 --primary-port 21311 --gateway-port 23200 --dashboard false --api false \
  --tls-cert silo.pem --tls-key silo.key --tls-ca ca.pem >tls.log 2>&1 &
tls=$!
trap 'kill $plain $tls; rm -rf "$dir"' EXIT
for log in plain.log tls.log; do
  for _ in $(seq 120); do grep -q "BlitzScale silo for host" $log && break; sleep 1; done
done
run() { # name port [tls args]
  local name=$1 port=$2 t0 t1 json
  shift 2
  t0=$(date +%s.%N)
  json=$(dotnet "$B" generate --cluster localhost:$port --json --max-tokens 32 --prompt "Once upon a time" "$@" 2>/dev/null)
  t1=$(date +%s.%N)
  echo "$name $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["ttft_ms"], d["tokens_per_second"])' "$json") $(echo "$t1 - $t0" | bc)" >>results.txt
}
tls_args=(--tls-cert client.pem --tls-key client.key --tls-ca ca.pem)
run plain 23100; run tls 23200 "${tls_args[@]}"   # deploys the model on each silo; not counted
: >results.txt
for _ in $(seq "$N"); do run plain 23100; run tls 23200 "${tls_args[@]}"; done
python3 "$here/quartiles.py" results.txt
