#!/usr/bin/env bash
# The main job: set up (once) and sample an exact mixture with several solvers; extra args go to Hydra.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
.venv/bin/sciddiff-demo "$@"
