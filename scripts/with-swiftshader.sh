#!/usr/bin/env bash
# Runs a command with WebGPU served by SwiftShader (the CPU Vulkan that Debian's chromium ships),
# unless a Vulkan driver is already chosen (e.g. on a machine with a GPU).
set -euo pipefail
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  icd=/usr/lib/chromium/vk_swiftshader_icd.json
  [ -f "$icd" ] || { echo "SwiftShader not found at $icd: apt-get install -y chromium" >&2; exit 1; }
  export VK_ICD_FILENAMES=$icd
  export LD_LIBRARY_PATH=/usr/lib/chromium${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
exec npx "$@"
