#!/usr/bin/env bash
# Set up (once) and run the checks CI runs: ruff, the import-layer contracts and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh dev,all
. .venv/bin/activate
export OMP_NUM_THREADS=1  # pytest-xdist runs one worker per core; avoid thread oversubscription
ruff check sciddiff domains tests scripts
ruff format --check sciddiff domains tests scripts
lint-imports
python -m pytest -n "${SCIDDIFF_TEST_WORKERS:-2}" "$@"
