#!/usr/bin/env bash
# Bundles the Node entry points that must run where there is no npm (the GPU machine) into
# dist-node/*.mjs, one file each, leaving onnxruntime-web and webgpu external (the kit made by
# ../shared/gpu/make-kit.sh carries those). Run them with
#   node --conditions=onnxruntime-web-use-extern-wasm dist-node/NAME.mjs
# (the condition picks onnxruntime-web's unbundled build, which finds its .wasm beside itself).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist-node
npx esbuild bench/matmul.ts bench/gemma3-1b.ts scripts/parity.ts \
  --bundle --platform=node --format=esm --target=node20 \
  --outdir=dist-node --entry-names='[name]' --out-extension:.js=.mjs \
  --external:onnxruntime-web --external:webgpu \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" \
  --log-level=warning
ls -la dist-node
