"""``sciddiff-train``: train a model on a domain's data (Hydra app; ``configs/train.yaml``).

Examples: ``sciddiff-train domain=tabular trainer.max_steps=500``; resume a stopped run with
``sciddiff-train hydra.run.dir=<run> resume=true``; sweep with ``sciddiff-train -m optim.lr=1e-4,3e-4``.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from sciddiff.train.apps.common import run_app
from sciddiff.train.fit import fit


@hydra.main(config_path="pkg://sciddiff.configs", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    result = run_app("sciddiff-train", fit, cfg)
    print(f"trained {result.steps} steps; checkpoints in {result.last.parent}, metrics in {result.metrics}")


if __name__ == "__main__":
    main()
