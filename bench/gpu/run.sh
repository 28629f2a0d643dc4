#!/usr/bin/env bash
# GPU figures in one command, on a machine with an NVIDIA GPU and no network.
#
# Before (here, with network):   bash bench/gpu/pack.sh
#   builds .gpu-pack/pack.tar.xz (Node, the pruned node_modules with Dawn's linux-x64 binary, the
#   MiniLM skeleton, the Vulkan loader), which travels with the working tree (carry `.gpu-pack`).
# There:                         bash bench/gpu/run.sh [OUT_DIR]
#   unpacks what the machine lacks, runs `crops doctor`, then the tfjs part of the bench (matMul peak,
#   hash-mlp train steps, retrieval; then the MiniLM tower) on webgpu and on wasm, each run with both
#   backends, so each GPU figure has the wasm figure of the same machine beside it, and numpy's
#   where python3 has it.
#   Writes OUT_DIR/gpu.txt, doctor.txt, results-gpu.json + bench.txt (the tfjs subset) and
#   results-gpu-pretrained.json + bench-pretrained.txt (the MiniLM tower; CROPS_GPU_PRETRAINED=0
#   skips it), in $OUT if set, else bench/gpu-out. Extra bench flags: CROPS_GPU_BENCH_ARGS (e.g.
#   "--quick"); the subset: CROPS_GPU_BENCH_ONLY (default matmul,train,retrieval). The pack unpacks
#   into CROPS_GPU_PACK_DIR (default /tmp/crops-gpu-pack).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-bench/gpu-out}}"
mkdir -p "$out"
pack="${CROPS_GPU_PACK_DIR:-/tmp/crops-gpu-pack}"
if [ -f .gpu-pack/pack.tar.xz ] && [ ! -d "$pack/node_modules" ]; then
  mkdir -p "$pack"
  xz -dc .gpu-pack/pack.tar.xz | tar -C "$pack" -xf -
fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ]; then
  [ -x "$pack/bin/node" ] || { echo "no Node 20 here and no $pack/bin/node: run bench/gpu/pack.sh where npm works, carry .gpu-pack" >&2; exit 2; }
  export PATH="$pack/bin:$PATH"
fi
if [ ! -e node_modules ]; then
  [ -d "$pack/node_modules" ] || { echo "no node_modules and no $pack/node_modules: run bench/gpu/pack.sh where npm works" >&2; exit 2; }
  ln -s "$pack/node_modules" node_modules
fi

# Dawn loads libvulkan.so.1, and the NVIDIA ICD the GL dispatch library; a bare CUDA image has neither
# (CROPS_GPU_KEEP_SYSTEM=1 leaves the system's libraries alone, e.g. to try this script on a workstation)
if [ "${CROPS_GPU_KEEP_SYSTEM:-0}" != 1 ] && ! ldconfig -p | grep -q 'libvulkan\.so\.1 ' && [ -d "$pack/debs" ] && [ "$(id -u)" = 0 ]; then
  for deb in "$pack"/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
# the driver's ICD file sits with the driver's mount when the image does not list it
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES="$nvidia_icd"
fi

# the MiniLM weights cannot travel: random ones of its shapes (the bench marks those figures)
models="${CROPS_MODELS_DIR:-$HOME/.cache/crops-lab/models}"
if [ ! -f "$models/all-MiniLM-L6-v2/model.safetensors" ] && [ -d "$pack/minilm" ]; then
  export CROPS_MODELS_DIR=/tmp/crops-models
  node bin/run-ts.js bench/gpu/random-model.ts write "$pack/minilm" "$CROPS_MODELS_DIR/all-MiniLM-L6-v2"
fi
# numpy on the same machine, for the bench's reference figures
if [ -z "${CROPS_BENCH_PYTHON:-}" ] && python3 -c 'import numpy, threadpoolctl' 2>/dev/null; then export CROPS_BENCH_PYTHON="$(command -v python3)"; fi

{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader || echo "nvidia-smi not found"; } | tee "$out/gpu.txt"

# doctor: which adapter Dawn finds (Vulkan on the NVIDIA driver, or a software fallback) and how fast
node bin/run-ts.js bench/gpu/doctor.ts 2>&1 | tee "$out/doctor.txt"

# Two bench runs, so a failure in one leaves the other's figures: the tfjs subset, then the MiniLM
# tower (webgpu and wasm in one run each, for the figures that compare them)
status=0
only="${CROPS_GPU_BENCH_ONLY:-matmul,train,retrieval}"
# shellcheck disable=SC2086
node bin/run-ts.js bench/run.ts --backend webgpu,wasm --only "$only" ${CROPS_GPU_BENCH_ARGS:-} --out "$out/results-gpu.json" 2>&1 | tee "$out/bench.txt" || status=1
if [ "${CROPS_GPU_PRETRAINED:-1}" = 1 ]; then
  # shellcheck disable=SC2086
  node bin/run-ts.js bench/run.ts --backend webgpu,wasm --only pretrained-tower ${CROPS_GPU_BENCH_ARGS:-} --out "$out/results-gpu-pretrained.json" 2>&1 | tee "$out/bench-pretrained.txt" || status=1
fi
exit "$status"
