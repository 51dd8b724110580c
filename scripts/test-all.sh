#!/usr/bin/env bash
# Every test of the project: type check, unit tests (Node), WebGPU tests (Node + SwiftShader),
# end-to-end tests (headless Chromium + SwiftShader WebGPU).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json
echo "== unit";      npx vitest run --project unit
# --passWithNoTests: a checkout may not have WebGPU tests yet; the project must not fail for that alone.
echo "== webgpu";    bash scripts/with-swiftshader.sh vitest run --project webgpu --passWithNoTests
echo "== e2e";       npx vite build && node tests/e2e/run.mjs
