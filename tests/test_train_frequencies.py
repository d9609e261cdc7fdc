"""``marginals: auto``: class frequencies counted over real entries (padding and the fixed diagonal of edge leaves
left out), written into the process record and the checkpoint, with clear errors for classes that never occur."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from test_train_mixed import LabelledRows
from train_setup import train_config

from sciddiff.processes import MarginalProcess, MixedProcess
from sciddiff.state import LeafSpec, StateSpec
from sciddiff.state.constraints import SymmetricPairs
from sciddiff.train import TensorItems, fit, load_trained
from sciddiff.train.frequencies import class_frequencies, resolve_marginals

SPEC = StateSpec(
    {
        "nodes": LeafSpec((3,), "categorical", 3),
        "edges": LeafSpec((3, 3), "categorical", 3, (SymmetricPairs((0, 1), True),)),
    }
)


def _graphs() -> TensorItems:
    """Two graphs: a path 0-1-2 (single bonds, class 1) and a double-bonded pair (class 2) with node 2 padding."""
    edges = torch.zeros(2, 3, 3, dtype=torch.long)
    edges[0, 0, 1] = edges[0, 1, 0] = edges[0, 1, 2] = edges[0, 2, 1] = 1
    edges[1, 0, 1] = edges[1, 1, 0] = 2
    edges[1, 2, :] = edges[1, :, 2] = 1  # junk on padding: not counted
    nodes = torch.tensor([[1, 2, 1], [2, 2, 0]])
    real = torch.tensor([[True, True, True], [True, True, False]])
    masks = {"nodes": real, "edges": real[:, :, None] & real[:, None, :]}
    return TensorItems({"x": {"nodes": nodes, "edges": edges}, "mask": masks})


def test_frequencies_count_real_off_diagonal_entries_by_hand() -> None:
    freqs = class_frequencies(_graphs(), SPEC, ["edges"], batch_size=1)
    # edges: graph 0 has 6 ordered off-diagonal pairs (2 none, 4 single); graph 1 has 2 (both double)
    assert freqs["edges"] == pytest.approx([2 / 8, 4 / 8, 2 / 8])


def test_resolve_marginals_writes_the_counts_into_mixed_records() -> None:
    record = {"name": "mixed", "kwargs": {"continuous": None, "categorical": {
        "nodes": {"name": "masked", "kwargs": {"num_classes": 3}},
        "edges": {"name": "marginal", "kwargs": {"marginals": "auto", "schedule": "cosine"}},
    }}}  # fmt: skip
    out = resolve_marginals(record, SPEC, _graphs())
    edges = out["kwargs"]["categorical"]["edges"]
    assert edges == {
        "name": "marginal",
        "kwargs": {"marginals": pytest.approx([0.25, 0.5, 0.25]), "schedule": "cosine"},
    }
    assert out["kwargs"]["categorical"]["nodes"] == record["kwargs"]["categorical"]["nodes"]
    assert record["kwargs"]["categorical"]["edges"]["kwargs"]["marginals"] == "auto"  # the input is not changed
    assert resolve_marginals({"name": "vp"}, SPEC, _graphs()) == {"name": "vp"}


def test_a_class_that_never_occurs_is_refused() -> None:
    record = {
        "name": "mixed",
        "kwargs": {"categorical": {"nodes": {"name": "marginal", "kwargs": {"marginals": "auto"}}}},
    }
    with pytest.raises(ValueError, match=r"classes \[0\] of leaf 'nodes' never occur .*counts \[0, 2, 3\]"):
        resolve_marginals(record, SPEC, _graphs())
    with pytest.raises(ValueError, match="does not have"):
        resolve_marginals(
            {
                "name": "mixed",
                "kwargs": {"categorical": {"bonds": {"name": "marginal", "kwargs": {"marginals": "auto"}}}},
            },
            SPEC,
            _graphs(),
        )


def test_training_with_auto_marginals_stores_the_training_frequencies(tmp_path: Path) -> None:
    cfg = train_config(
        "domain.name=test_train_mixed:LabelledRows",
        "process.name=mixed",
        "+process.kwargs.continuous={name: vp}",
        "+process.kwargs.categorical={label: {name: marginal, kwargs: {marginals: auto, schedule: cosine}}}",
        "model.backbone=test_train_mixed:TinyMixedDenoiser",
        "+model.parametrization=direct",
        "trainer.max_steps=2",
        "trainer.val_check_interval=2",
        tiny_mlp=False,
    )
    result = fit(cfg, tmp_path / "r")
    labels = LabelledRows().datasets(int(cfg["seed"]))["train"].items["x"]["label"]
    expected = (torch.bincount(labels, minlength=3).double() / len(labels)).tolist()
    rec = torch.load(result.last, weights_only=True)["sciddiff"]["process"]
    assert rec["kwargs"]["categorical"]["label"]["kwargs"]["marginals"] == pytest.approx(expected, abs=1e-12)
    process = load_trained(result.last).process
    assert isinstance(process, MixedProcess) and isinstance(process.categorical["label"], MarginalProcess)
    assert process.categorical["label"].stationary.tolist() == pytest.approx(expected, abs=1e-12)
