#!/usr/bin/env bash
# The main job: set up (once), then train, sample and solve an inverse problem on built-in data; extra args go to Hydra.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
.venv/bin/sciddiff-quickstart "$@"
