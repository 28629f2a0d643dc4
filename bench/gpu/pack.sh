#!/usr/bin/env bash
# Builds .gpu-pack/pack.tar.xz: what bench/gpu/run.sh needs on a GPU machine that has no network and
# may have no Node, small enough to travel with the working tree (at most 64 MiB in all).
#   bin/node        this machine's Node (the official linux-x64 build needs only glibc)
#   node_modules/   the pruned closure of prune-node-modules.ts (tfjs, Dawn's linux-x64 binary, tsx)
#   minilm/         all-MiniLM-L6-v2's small files and tensors.json, its tensor shapes; the 87 MiB of
#                   weights stay here and run.sh fills the shapes with random values (random-model.ts)
#   debs/           the Vulkan loader and GL dispatch libraries from Debian, which Dawn and the NVIDIA
#                   driver's Vulkan ICD load and a bare CUDA image may lack
# Needs the model (test/support/fetch-minilm.sh), npm ci, and apt-get reaching Debian's mirror.
set -euo pipefail
cd "$(dirname "$0")/../.."
model="${CROPS_MODELS_DIR:-$HOME/.cache/crops-lab/models}/all-MiniLM-L6-v2"
[ -f "$model/model.safetensors" ] || { echo "$model/model.safetensors not found: run test/support/fetch-minilm.sh first" >&2; exit 2; }
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

node bin/run-ts.js bench/gpu/prune-node-modules.ts "$stage/node_modules"
mkdir -p "$stage/bin" "$stage/minilm" "$stage/debs"
cp "$(command -v node)" "$stage/bin/node"
(cd "$model" && find . -type f ! -name model.safetensors ! -name '*.md' ! -name '.gitattributes' ! -name data_config.json -exec cp --parents {} "$stage/minilm" \;)
node bin/run-ts.js bench/gpu/random-model.ts shapes "$model/model.safetensors" > "$stage/minilm/tensors.json"

# its own package lists, so the machine's apt state is left alone
lists="$stage/apt/lists"
mkdir -p "$lists/partial" "$stage/apt/archives/partial"
apt_opts=(-o "Dir::State::Lists=$lists" -o "Dir::Cache::Archives=$stage/apt/archives" -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" -qq update
(cd "$stage/debs" && apt-get "${apt_opts[@]}" -qq download libvulkan1 libglvnd0 libgl1 libglx0 libegl1 libopengl0 libgles2)
rm -rf "$stage/apt"

mkdir -p .gpu-pack
tar -C "$stage" -cf - . | xz -T0 -6 > .gpu-pack/pack.tar.xz.tmp
mv .gpu-pack/pack.tar.xz.tmp .gpu-pack/pack.tar.xz
bytes=$(stat -c %s .gpu-pack/pack.tar.xz)
echo "wrote .gpu-pack/pack.tar.xz: $((bytes / 1048576)) MiB"
[ "$bytes" -le $((56 * 1048576)) ] || { echo "over 56 MiB: with the working tree it would not fit in the 64 MiB that travels" >&2; exit 1; }
