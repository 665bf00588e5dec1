#!/usr/bin/env python3
"""quartiles.py RESULTS — min / quartiles / max per run name of the rows `NAME TTFT_MS TOKENS_PER_SECOND WALL_S` that
tls-cost.sh and tls-testbed-cost.sh collect, plain first, then tls."""
import statistics as s
import sys

rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
for name in ("plain", "tls"):
    r = [list(map(float, x[1:])) for x in rows if x[0] == name]
    for i, what in enumerate(["ttft_ms", "tokens_per_second", "wall_s"]):
        v = sorted(x[i] for x in r)
        q = s.quantiles(v, n=4)
        print(f"{name:5} {what:17} n={len(v)} min {v[0]:.2f} q1 {q[0]:.2f} median {s.median(v):.2f} q3 {q[2]:.2f} max {v[-1]:.2f}")
