"""Fixtures of the graphs tests: a 200-molecule slice of the real QM9 files, and tiny models trained on it (and on
SBM graphs) for a few steps, once per test session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hydra import compose, initialize_config_module
from sciddiff.domains.graphs.datasets import qm9_files

from sciddiff.train import TrainedModel, fit, load_trained
from sciddiff.train.build import plain

TINY = [
    "data.batch_size=16",
    "trainer.max_steps=6",
    "trainer.val_check_interval=6",
    "trainer.limit_val_batches=1",
    "trainer.enable_progress_bar=false",
    "checkpoint.every_n_steps=3",
    "validation.n_samples=4",
    "validation.steps=4",
    "optim.warmup_steps=0",
]
TINY_TRANSFORMER = [
    f"model.kwargs.{k}={v}" for k, v in dict(hidden_x=16, hidden_e=8, hidden_y=8, n_layers=1, n_head=2).items()
]
TINY_EGNN = ["model.kwargs.hidden=16", "model.kwargs.n_layers=2"]


def graphs_config(experiment: str, *overrides: str, cache: Path | None = None) -> dict[str, Any]:
    """The packaged train config with ``experiment=<experiment>``, tiny network and training settings, then
    ``overrides``, as plain data."""
    tiny = TINY_EGNN if "3d" in experiment else TINY_TRANSFORMER
    extra = [f"domain.options.cache={cache}"] if cache is not None else []
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(compose("train", overrides=[f"experiment={experiment}", *TINY, *tiny, *extra, *overrides]))


@pytest.fixture(scope="session")
def qm9_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every 15th of the first 3,000 records of qm9pack's first file: 200 molecules of up to 7 heavy atoms (21
    with hydrogens), in qm9pack's own CSV layout."""
    path = tmp_path_factory.mktemp("qm9") / "qm9_slice.csv"
    pd.read_csv(qm9_files()[0], nrows=3000).iloc[::15].to_csv(path, index=False)
    return path


def _train(name: str, experiment: str, overrides: list[str], tmp: pytest.TempPathFactory) -> TrainedModel:
    base = tmp.mktemp(name)
    result = fit(graphs_config(experiment, *overrides, cache=base / "cache"), base / "run")
    return load_trained(result.last)


@pytest.fixture(scope="session")
def qm9_2d_model(qm9_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return _train("qm9_2d", "graphs_qm9_2d", [f"domain.options.files=[{qm9_csv}]"], tmp_path_factory)


@pytest.fixture(scope="session")
def qm9_3d_model(qm9_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return _train("qm9_3d", "graphs_qm9_3d", [f"domain.options.files=[{qm9_csv}]"], tmp_path_factory)


@pytest.fixture(scope="session")
def logp_model(qm9_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return _train("logp", "graphs_qm9_2d_logp", [f"domain.options.files=[{qm9_csv}]"], tmp_path_factory)


@pytest.fixture(scope="session")
def sbm_model(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return _train("sbm", "graphs_sbm", ["domain.options.n_graphs=12", "data.batch_size=4"], tmp_path_factory)


@pytest.fixture(scope="session")
def qm9_marginal_model(qm9_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """QM9 2-D with marginal-prior edge transitions counted on the training split (``marginals: auto``)."""
    edges = "process.kwargs.categorical.edges"
    overrides = [f"domain.options.files=[{qm9_csv}]", f"{edges}.name=marginal", f"~{edges}.kwargs.num_classes",
                 f"+{edges}.kwargs.marginals=auto"]  # fmt: skip
    return _train("qm9_marginal", "graphs_qm9_2d", overrides, tmp_path_factory)
