"""Categorical and mixed (continuous + categorical) states through the training stack: the prior, chunked
sampling, training with a direct denoiser, checkpoints. The data: a label c ~ pi and x | c ~ N(mu_c, v_c I)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import scipy.stats
import torch
from torch import Tensor, nn
from train_setup import train_config

from sciddiff.denoisers import LabelledGaussianMixture, Prediction
from sciddiff.processes import VP, MaskedProcess, MixedProcess
from sciddiff.state import LeafSpec, StateSpec
from sciddiff.train import Adapter, TensorItems, TrainedModel, fit, load_trained

F64 = torch.float64
WEIGHTS = torch.tensor([0.5, 0.3, 0.2], dtype=F64)
MEANS = torch.tensor([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.0]], dtype=F64)
VARIANCES = torch.tensor([0.3, 0.5, 0.2], dtype=F64)


def oracle(process: VP) -> LabelledGaussianMixture:
    return LabelledGaussianMixture(WEIGHTS, MEANS, VARIANCES, MaskedProcess(3, "cosine"), process)


class LabelledRows(Adapter):
    """Exact draws of the labelled mixture as a mixed state {"label": (), "x": (2,)}; identity encoding."""

    name, version = "labelled-rows", "1"

    def datasets(self, seed: int) -> dict[str, TensorItems]:
        draws = oracle(VP()).sample(600, generator=seed)
        items = {"label": draws["label"], "x": draws["x"].float()}
        return {"train": TensorItems({"x": items}), "val": TensorItems({"x": {k: v[:64] for k, v in items.items()}})}

    def state_spec(self) -> StateSpec:
        return StateSpec({"label": LeafSpec((), "categorical", 3), "x": LeafSpec((2,))})

    def backbone_shape(self, backbone: str) -> dict[str, Any]:
        return {}

    def encode(self, raw: Any) -> Any:
        return raw

    def decode(self, state: Any) -> Any:
        return state


class TinyMixedDenoiser(nn.Module):
    """A direct denoiser of the mixed state: x0 mean of "x" (skip-connected) and x0 logits of "label"."""

    def __init__(self, process: MixedProcess, hidden: int = 32) -> None:
        super().__init__()
        self.process = process.continuous
        self.net = nn.Sequential(nn.Linear(2 + 4 + 2, hidden), nn.SiLU(), nn.Linear(hidden, 2 + 3))

    def forward(self, x_t: dict[str, Tensor], t: Tensor, **cond: Any) -> Prediction:
        alpha, sigma = (c.to(x_t["x"].dtype)[:, None] for c in self.process.alpha_sigma(t.double()))
        lam = torch.log(alpha / sigma)
        h = torch.cat([x_t["x"], nn.functional.one_hot(x_t["label"], 4).to(x_t["x"].dtype), lam.sin(), lam.cos()], 1)
        out = self.net(h)
        mean = x_t["x"] * alpha / (alpha**2 + sigma**2) + sigma * out[:, :2]
        return Prediction(mean={"x": mean}, logits={"label": out[:, 2:].double()})


def test_the_train_stack_samples_a_mixed_state_exactly_with_an_exact_denoiser() -> None:
    process = VP()
    mixed = MixedProcess(process, {"label": MaskedProcess(3, "cosine")})
    model = TrainedModel(LabelledRows(), mixed, oracle(process), {"seed": 0}, Path("exact"), True)
    n = 4000
    out = model.sample(n, "dpmpp_2m", 48, seed=3, chunk_size=1500, dtype=F64)
    labels, xs = out["label"], out["x"]
    assert labels.dtype == torch.long and int(labels.max()) <= 2  # no mask token left
    counts = torch.bincount(labels, minlength=3)
    assert scipy.stats.chisquare(counts.numpy(), (WEIGHTS * n).numpy()).pvalue > 1e-3
    for c in range(3):
        sel = xs[labels == c]
        assert (sel.mean(0) - MEANS[c]).abs().max() < 4 * math.sqrt(float(VARIANCES[c]) / len(sel)) + 0.03
    again = model.sample(10, "dpmpp_2m", 48, seed=3, dtype=F64)  # sample i does not depend on the chunking
    assert torch.equal(again["label"], labels[:10]) and torch.allclose(again["x"], xs[:10])


MIXED = [
    "domain.name=test_train_mixed:LabelledRows",
    "process.name=mixed",
    "+process.kwargs.continuous={name: vp}",
    "+process.kwargs.categorical={label: {name: masked, kwargs: {num_classes: 3, schedule: cosine}}}",
    "model.backbone=test_train_mixed:TinyMixedDenoiser",
    "+model.parametrization=direct",
]


def test_training_a_mixed_state_with_a_direct_denoiser_and_reloading_it(tmp_path: Path) -> None:
    cfg = train_config(*MIXED, "trainer.max_steps=12", "trainer.val_check_interval=12", tiny_mlp=False)
    result = fit(cfg, tmp_path / "r")
    rec = torch.load(result.last, weights_only=True)["sciddiff"]
    assert rec["process"]["name"] == "mixed" and rec["model"]["parametrization"] == "direct"
    model = load_trained(result.last)
    assert isinstance(model.process, MixedProcess) and isinstance(model.denoiser, TinyMixedDenoiser)
    x = {"label": torch.tensor([3, 0]), "x": torch.randn(2, 2)}
    t = torch.tensor([0.5, 0.9])
    state = torch.load(result.last, weights_only=True)["state_dict"]
    net = TinyMixedDenoiser(model.process)
    net.load_state_dict({k[len("ema.module.") :]: v for k, v in state.items() if k.startswith("ema.module.")})
    assert torch.equal(model.denoiser(x, t).logits["label"], net(x, t).logits["label"])
    drawn = model.sample(16, "dpmpp_2m", 8, seed=0)
    assert drawn["label"].shape == (16,) and int(drawn["label"].max()) <= 2 and torch.isfinite(drawn["x"]).all()
