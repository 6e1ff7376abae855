#!/usr/bin/env bash
# Run EdgeMIN's GPU check (tools/gpu_check.py) and keep what it printed; fails on any error.
#   bash tools/gpu_check.sh [--data-dir GLUE_DIR] [--teacher ID] [--steps N]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
command -v nvidia-smi >/dev/null && nvidia-smi || echo "gpu_check: nvidia-smi not found"
mkdir -p bench/results
"$PY" tools/gpu_check.py --write "$@" 2>&1 | tee bench/results/gpu_check.log
