#!/usr/bin/env bash
# The CPU comparison with PyTorch: our engine on onnxruntime-web's wasm backend and transformers +
# PEFT (fp32, eager attention), one thread each, in one invocation, at gemma-3-1b-it's real widths
# with 6 layers (five sliding-window layers and one global: one period) and the full 262,144-token
# vocabulary. Decode: batch 8, prompt 64, 32 new tokens, sampling at temperature 1. Training: a
# GRPO-shaped step on 4 rows x 256 tokens (the loss on the 128 completion tokens of each row),
# LoRA r=16 on all seven projections, AdamW.
#
#   PYTHON=/path/to/venv/bin/python bash bench/run-cpu.sh [more flags, e.g. --only decode]
#
# Node runs with --no-liftoff: V8 then compiles onnxruntime's wasm with its optimising compiler
# (lazily, function by function: a minute or two of start-up on a 2-core machine) instead of first
# running the baseline Liftoff code, whose kernels are 2-3x slower (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_FLAGS="${NODE_FLAGS:---no-liftoff}" exec bash bench/run-gpu.sh gemma3 --backend wasm --threads 1 \
  --layers 6 --batch 8 --prompt 64 --new-tokens 32 --train-batch 4 --seq 256 --chunk-rows 128 --train-steps 2 "$@"
