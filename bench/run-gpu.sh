#!/usr/bin/env bash
# Runs an engine benchmark and its PyTorch reference in one invocation and prints the ratios.
#
#   bash bench/run-gpu.sh matmul [flags for bench/matmul.ts, e.g. --n 4096]
#   bash bench/run-gpu.sh gemma3 [flags for bench/gemma3-1b.ts, e.g. --layers 2 --vocab 4096]
#
# On the GPU machine (no npm there): here `npm run bench:build && bash ../shared/gpu/make-kit.sh`,
# send .devkit/ and dist-node/ along, and there `source .devkit/enter.sh && bash bench/run-gpu.sh matmul`.
# Where tsx is installed (a developer machine) the TypeScript sources run directly; without a GPU,
# WebGPU falls back to SwiftShader. Results land in $OUT (default bench-results/) as JSON.
# PYTHON picks the interpreter with torch (default python3); NODE_FLAGS adds node flags
# (--liftoff-only saves a minute of wasm compilation on a 2-core machine; keep it off for timings).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:?usage: bash bench/run-gpu.sh matmul|gemma3 [flags]}
shift
out=${OUT:-bench-results}
mkdir -p "$out"
py=${PYTHON:-python3}
cond=--conditions=onnxruntime-web-use-extern-wasm
# The engine side's result is named by backend (--backend wasm: the CPU comparison).
backend=webgpu
for a in "$@"; do [ "${prev:-}" = --backend ] && backend=$a; prev=$a; done
case $which in
  matmul) ts=bench/matmul.ts; bundle=dist-node/matmul.mjs; ref=bench/pytorch/matmul.py ;;
  gemma3) ts=bench/gemma3-1b.ts; bundle=dist-node/gemma3-1b.mjs; ref=bench/pytorch/gemma3_1b.py ;;
  *) echo "unknown benchmark $which (matmul or gemma3)" >&2; exit 2 ;;
esac
if [ -x node_modules/.bin/tsx ]; then
  node ${NODE_FLAGS:-} --import tsx $cond "$ts" "$@" --json "$out/$which-$backend.json"
elif [ -f "$bundle" ]; then
  node ${NODE_FLAGS:-} $cond "$bundle" "$@" --json "$out/$which-$backend.json"
else
  echo "neither tsx nor $bundle: run 'npm run bench:build' where npm is" >&2; exit 2
fi
if "$py" -c 'import torch' 2>/dev/null; then
  "$py" "$ref" "$@" --json "$out/$which-torch.json"
  "$py" bench/pytorch/compare.py "$which" "$out/$which-$backend.json" "$out/$which-torch.json"
else
  echo "PyTorch is not importable with $py: no reference figures (set PYTHON)" >&2
fi
