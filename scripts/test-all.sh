#!/usr/bin/env bash
# Every test of the project: type check, unit tests (Node), WebGPU tests (Node + SwiftShader),
# end-to-end tests (headless Chromium + SwiftShader WebGPU).
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_OPTIONS="--import $PWD/scripts/node20-polyfills.mjs ${NODE_OPTIONS:-}"
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json
echo "== unit";      npx vitest run --project unit
echo "== webgpu";    bash scripts/with-swiftshader.sh vitest run --project webgpu
echo "== e2e";       npx vite build && node tests/e2e/run.mjs
