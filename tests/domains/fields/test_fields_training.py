"""A tiny fields model trained end to end on a two-channel (joint multi-field) netCDF file: the checkpoint keeps
the exact per-channel normalisation, and a loaded model refuses fields it was not trained on."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from fields_gaussian import write_gaussian_fields
from hydra import compose, initialize_config_module
from sciddiff.domains.fields import FieldsAdapter

from sciddiff.train import fit, load_trained
from sciddiff.train.build import plain


def test_tiny_training_round_trip_and_checkpoint_refusals(tmp_path: Path) -> None:
    g = write_gaussian_fields(tmp_path / "joint.nc", (2, 8, 8), n=120)
    overrides = [
        "domain=fields", "domain.options.source=netcdf", f"domain.options.path={g.path}", "model=auto",
        "+model.kwargs.channels=8", "+model.kwargs.groups=4", "data.batch_size=16", "trainer.max_steps=4",
        "trainer.val_check_interval=2", "checkpoint.every_n_steps=2", "validation.n_samples=4", "validation.steps=2",
        "trainer.enable_progress_bar=false",
    ]  # fmt: skip
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = plain(compose("train", overrides=overrides))
    result = fit(cfg, tmp_path / "run")
    assert result.steps == 4
    model = load_trained(result.last)
    fresh = FieldsAdapter(source="netcdf", path=str(g.path))
    fresh.datasets(0)
    assert torch.equal(model.adapter.scale, fresh.scale) and torch.equal(model.adapter.offset, fresh.offset)
    assert model.adapter.variables == ["a", "b"] and model.record["backbone"]["in_channels"] == 2
    assert model.record["backbone"]["name"] == "unet" and model.record["backbone"]["periodic"] is False
    x = model.sample(3, "ddim", 3, seed=0)
    assert torch.equal(model.adapter.decode(x), x.double() * fresh.scale + fresh.offset)
    assert torch.equal(x, model.sample(3, "ddim", 3, seed=0))
    with pytest.raises(ValueError, match=r"have 1 channels; this model was trained on 2 \(a, b\)"):
        model.adapter.encode(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"are 16x16; this model was trained on 8x8 grids"):
        model.adapter.encode(torch.zeros(2, 2, 16, 16))
    assert model.adapter.encode(torch.zeros(2, 2, 16, 16, dtype=torch.float64), resample=True).shape == (2, 2, 8, 8)
