"""Training through the stack (sciddiff-train's ``fit``) on a netCDF series with gaps: a CSDI-style conditional
model gets exactly the masked observations and their mask as its context, missing entries stay out of the loss,
and the checkpoint carries everything the task app needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from hydra import compose, initialize_config_module
from sciddiff.domains.timeseries import TimeSeriesAdapter
from sciddiff.domains.timeseries.masks import forecast_mask
from sciddiff.domains.timeseries.tasks import conditional_sample, make_problem
from ts_oracles import ar1_series

from sciddiff.train import fit, load_trained
from sciddiff.train.build import plain


def series_file(tmp_path: Path) -> Path:
    data = ar1_series(600)
    data[100:104, 0] = np.nan  # missing data in the training split
    path = tmp_path / "series.nc"
    data.to_netcdf(path)
    return path


def train_config(path: Path, *overrides: str) -> dict[str, Any]:
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        return plain(
            compose(
                "train",
                overrides=[
                    "domain=timeseries",
                    f"domain.options.source={path}",
                    "domain.options.window=8",
                    "domain.options.conditional=true",
                    "domain.options.masks.strategies=[forecast,random]",
                    "+model.kwargs.channels=8",
                    "+model.kwargs.depth=2",
                    "+model.kwargs.heads=2",
                    "data.batch_size=32",
                    "trainer.max_steps=40",
                    "trainer.val_check_interval=20",
                    "trainer.enable_progress_bar=false",
                    "checkpoint.every_n_steps=20",
                    "validation.n_samples=8",
                    "validation.steps=3",
                    "optim.lr=3e-3",
                    *overrides,
                ],
            )
        )


class SeenContexts(L.Callback):
    """Records each training batch's context and the context the backbone was called with."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.seen: list[torch.Tensor] = []

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        def hook(net: torch.nn.Module, args: tuple, kwargs: dict) -> None:
            if net.training:
                self.seen.append(kwargs["context"].detach().clone())

        module.denoiser.net.register_forward_pre_hook(hook, with_kwargs=True)

    def on_train_batch_start(self, trainer: L.Trainer, module: L.LightningModule, batch: Any, batch_idx: int) -> None:
        self.batches.append({"x": batch["x"].clone(), "mask": batch["mask"].clone(), **batch["cond"]})


def test_conditional_training_feeds_the_masked_observations_and_the_mask(tmp_path: Path) -> None:
    path = series_file(tmp_path)
    seen = SeenContexts()
    result = fit(train_config(path), tmp_path / "run", extra_callbacks=[seen])
    assert result.steps == 40 and len(seen.batches) == len(seen.seen) == 40
    for batch, ctx in zip(seen.batches, seen.seen, strict=True):
        given = batch["context"][:, 2:4] > 0.5
        torch.testing.assert_close(ctx, batch["context"], rtol=0, atol=0)  # what the backbone got
        torch.testing.assert_close(batch["context"][:, :2], torch.where(given, batch["x"], 0.0), rtol=0, atol=0)
        assert bool((given <= batch["mask"]).all())  # only entries present in the data are ever given
        assert bool((batch["x"][~batch["mask"]] == 0).all())
    rows = torch.cat([b["context"][:, 2:4] > 0.5 for b in seen.batches])
    prefixes = [torch.equal(r, forecast_mask((2, 8), int(r[0].sum()))) for r in rows if 1 <= int(r[0].sum()) < 8]
    assert 0.4 < sum(prefixes) / len(rows) < 0.6  # half forecast masks (prefixes of every channel), half random
    assert any(not bool(b["mask"].all()) for b in seen.batches)  # the gap reached the loss mask
    losses = [r["loss"] for r in map(json.loads, (result.metrics).read_text().splitlines()) if "loss" in r]
    assert np.isfinite(losses).all() and np.mean(losses[-5:]) < np.mean(losses[:5])
    model = load_trained(result.last)
    assert model.record["backbone"]["context_channels"] == 4
    assert model.record["backbone"]["name"] == "sciddiff.domains.timeseries.nets:SeriesNet"
    fresh = TimeSeriesAdapter(source=str(path), window=8)
    fresh.datasets(0)
    torch.testing.assert_close(model.adapter.norm.mean, fresh.norm.mean, rtol=0, atol=0)
    torch.testing.assert_close(model.adapter.norm.scale, fresh.norm.scale, rtol=0, atol=0)
    model.adapter.datasets(0)
    raw = model.adapter.splits["test"].raw(0)
    problem = make_problem(raw, forecast_mask((2, 8), 4), torch.zeros(2), 0, model.adapter.splits["test"].times(0))
    draws = conditional_sample(model, problem, 16, "dpmpp_2m", 4, seed=3)
    assert draws.shape == (16, 2, 8) and bool(torch.isfinite(draws).all())
    torch.testing.assert_close(draws, conditional_sample(model, problem, 16, "dpmpp_2m", 4, seed=3))
