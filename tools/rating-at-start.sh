#!/usr/bin/env bash
# rating-at-start.sh — the prefill rating a fresh silo gives its first instance on the cpu backend (docs/autoscaler.md,
# "Capacity, per backend"). N times: start a silo of 2 cpu GPUs on ports of its own, deploy one instance of the shipped
# default model (Cli/DefaultModel/stories260K), read `blitz status --json`'s rated_prefill_tokens_per_second, stop the silo.
# Prints one JSON object: the ratings in order, their min, mean and max. Nothing else should run meanwhile (2 cores).
# Usage: tools/rating-at-start.sh [N (default 5)] [BLITZ_DLL]
set -euo pipefail
N=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
B=$(realpath "${2:-$repo/Cli/bin/Release/net10.0/blitz.dll}")
[ -f "$B" ] || { echo "rating-at-start.sh: $B not found: build first (dotnet build BlitzScale.sln -c Release)" >&2; exit 2; }
log=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$log"' EXIT
ports=(--silo-port 11411 --gateway-port 30411 --primary-port 11411 --data-port 0 --http-port 8411 --dashboard-port 8412)
ratings=()
cd "$repo"
for i in $(seq "$N"); do
  dotnet "$B" silo --cluster-secret rating-at-start-secret --gpus 2 "${ports[@]}" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 120); do grep -q "BlitzScale silo for host" "$log" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  grep -q "BlitzScale silo for host" "$log" || { echo "rating-at-start.sh: the silo did not start; its log:" >&2; cat "$log" >&2; exit 1; }
  dotnet "$B" deploy --cluster localhost:30411 --model Cli/DefaultModel/stories260K --name s260k --instances 1 >/dev/null
  r=$(dotnet "$B" status --cluster localhost:30411 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(i["rated_prefill_tokens_per_second"] for m in d["models"] for i in m["instances"]))')
  echo "rating-at-start.sh: silo $i: $r tokens/s" >&2
  ratings+=("$r")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
python3 -c 'import json,sys; r=[round(float(x)) for x in sys.argv[1:]]; print(json.dumps({"model": "stories260K", "backend": "cpu", "ratings_tokens_per_second": r, "min": min(r), "mean": round(sum(r)/len(r)), "max": max(r)}))' "${ratings[@]}"
