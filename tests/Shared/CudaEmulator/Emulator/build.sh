#!/usr/bin/env bash
# Builds the CUDA emulator's three libraries into $1 (default: ./out), named by the sonames the bindings load.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/out}"
mkdir -p "$out"
flags=(-std=c++17 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra)
g++ "${flags[@]}" -Wl,-soname,libcuda.so.1 -o "$out/libcuda.so.1" "$here/emu_driver.cpp" "$here/emu_fibers.cpp" -ldl
g++ "${flags[@]}" -Wl,-soname,libcublas.so.13 -Wl,-rpath,'$ORIGIN' -o "$out/libcublas.so.13" "$here/emu_cublas.cpp" "$out/libcuda.so.1"
g++ "${flags[@]}" -Wl,-soname,libnvrtc.so.13 -o "$out/libnvrtc.so.13" "$here/emu_nvrtc.cpp" -ldl
cp "$here/emu_prelude.h" "$here/emu_api.h" "$out/"
