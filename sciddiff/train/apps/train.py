"""``sciddiff-train``: train a model on a domain's data (Hydra app; ``configs/train.yaml``).

Examples: ``sciddiff-train domain=tabular trainer.max_steps=500``; resume a stopped run with
``sciddiff-train hydra.run.dir=<run> resume=true``; sweep with ``sciddiff-train -m optim.lr=1e-4,3e-4``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sciddiff.train.fit import fit
from sciddiff.train.module import TrainingDiverged


@hydra.main(config_path="pkg://sciddiff.configs", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        result = fit(cfg, run_dir)
    except (TrainingDiverged, ValueError) as err:
        print(f"sciddiff-train: {err}", file=sys.stderr)
        sys.exit(1)
    print(f"trained {result.steps} steps; checkpoints in {result.last.parent}, metrics in {result.metrics}")


if __name__ == "__main__":
    main()
