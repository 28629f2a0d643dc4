#!/usr/bin/env bash
# GPU figures in one command, on a machine with an NVIDIA GPU, Vulkan drivers and no network.
#
# Before (here, with network):   node bin/run-ts.js bench/gpu/prune-node-modules.ts
#   builds .gpu-pack/node_modules (≤ 64 MiB: tfjs, Dawn's linux-x64 binary, tsx), which travels with
#   the working tree (carry `.gpu-pack`).
# There:                         bash bench/gpu/run.sh [OUT_DIR]
#   runs `crops doctor`, then the tfjs part of the bench (matMul peak, train steps, retrieval) on
#   webgpu and on wasm in one run, so each GPU figure has the wasm figure of the same machine beside
#   it. Writes OUT_DIR/doctor.txt, OUT_DIR/results-gpu.json and OUT_DIR/bench.txt (default $OUT, else
#   bench/gpu-out). Extra bench flags: CROPS_GPU_BENCH_ARGS (e.g. "--quick").
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-${OUT:-bench/gpu-out}}"
mkdir -p "$out"

if [ ! -d node_modules ]; then
  [ -d .gpu-pack/node_modules ] || { echo "no node_modules and no .gpu-pack/node_modules: run bench/gpu/prune-node-modules.ts where npm works" >&2; exit 2; }
  ln -s .gpu-pack/node_modules node_modules
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt" || echo "nvidia-smi not found" | tee "$out/gpu.txt"

# doctor: which adapter Dawn finds (Vulkan on the NVIDIA driver, or a software fallback) and how fast
node bin/run-ts.js bench/gpu/doctor.ts | tee "$out/doctor.txt"

# shellcheck disable=SC2086
node bin/run-ts.js bench/run.ts --backend webgpu,wasm --only matmul,train,retrieval ${CROPS_GPU_BENCH_ARGS:-} --out "$out/results-gpu.json" | tee "$out/bench.txt"
