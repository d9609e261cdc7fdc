"""Shared set-up for the training-stack tests: tiny configs composed from the packaged Hydra configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module

from sciddiff.train.build import plain

TINY = [
    "domain.options.n=600",
    "+model.kwargs.hidden=32",
    "+model.kwargs.depth=2",
    "+model.kwargs.emb_dim=16",
    "data.batch_size=64",
    "trainer.max_steps=24",
    "trainer.val_check_interval=12",
    "trainer.enable_progress_bar=false",
    "checkpoint.every_n_steps=4",
    "validation.n_samples=32",
    "validation.steps=4",
    "optim.lr=1e-3",
]


def train_config(*overrides: str, tiny_mlp: bool = True) -> dict[str, Any]:
    """The packaged ``train`` config with the tiny settings above (without the MLP sizes unless ``tiny_mlp``),
    then ``overrides``, as plain data."""
    tiny = [o for o in TINY if tiny_mlp or not o.startswith("+model.kwargs.")]
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose("train", overrides=[*tiny, *overrides]))


def app_config(name: str, *overrides: str) -> dict[str, Any]:
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose(name, overrides=list(overrides)))


def checkpoint_of(run_dir: Path) -> Path:
    return run_dir / "checkpoints" / "last.ckpt"
