#!/usr/bin/env bash
# Create .venv (once) and install sciddiff into it with the extras given as $1 (e.g. "dev").
# Without an NVIDIA GPU, torch comes from PyTorch's CPU wheel index, so no multi-GB CUDA build is pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --disable-pip-version-check --upgrade pip
if ! python -c "import torch" >/dev/null 2>&1; then
  if command -v nvidia-smi >/dev/null 2>&1; then
    python -m pip install --quiet "torch>=2.4"
  else
    # CPU wheels from PyTorch's index; where that index is unreachable, pip's other configured sources
    # (e.g. local wheel folders) serve, after one quick retry instead of many slow ones.
    python -m pip install --quiet --retries 1 --timeout 10 --index-url https://download.pytorch.org/whl/cpu "torch>=2.4"
  fi
fi
python -m pip install --quiet -e ".${extras:+[$extras]}"
