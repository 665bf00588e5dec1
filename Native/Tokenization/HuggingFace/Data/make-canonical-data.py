#!/usr/bin/env python3
"""Writes canonical-data.txt: the Unicode data NFC/NFD need, from Python's unicodedata (no other dependency).

The app runs with InvariantGlobalization, where string.Normalize does nothing, so CanonicalNormalizer carries
its own tables. Lines (hex code points):
  C first last ccc   canonical combining class of a range (only non-zero classes are listed)
  D cp m1 [m2]       one-level canonical decomposition (Hangul syllables are algorithmic and not listed)
  X cp               a two-code-point decomposition that NFC never recomposes (composition exclusion or
                     non-starter decomposition)
"""
import os
import unicodedata

lines = [f"# Unicode {unicodedata.unidata_version} canonical data from Python's unicodedata; regenerate with make-canonical-data.py"]
ranges = []
for cp in range(0x110000):
    ccc = unicodedata.combining(chr(cp))
    if ccc == 0:
        continue
    if ranges and ranges[-1][1] == cp - 1 and ranges[-1][2] == ccc:
        ranges[-1][1] = cp
    else:
        ranges.append([cp, cp, ccc])
lines += [f"C {a:X} {b:X} {c}" for a, b, c in ranges]
for cp in range(0x110000):
    if 0xAC00 <= cp < 0xAC00 + 11172:
        continue
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<"):
        continue
    parts = d.split()
    lines.append("D " + " ".join([f"{cp:X}"] + parts))
    if len(parts) == 2 and unicodedata.normalize("NFC", chr(cp)) != chr(cp):
        lines.append(f"X {cp:X}")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "canonical-data.txt"), "w", encoding="ascii", newline="\n") as f:
    f.write("\n".join(lines) + "\n")
