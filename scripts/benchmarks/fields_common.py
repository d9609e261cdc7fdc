"""Shared pieces of the fields benchmark parts: test fields, lifted operators, posterior sampling and summaries."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sciddiff.domains.fields.evaluation import reconstruction_metrics
from torch import Tensor

import sciddiff
from sciddiff.operators import LinearOperator, Operator, scaled
from scripts.benchmarks.markdown import table

F64 = torch.float64


def test_fields(model: Any, split: str, n: int) -> Tensor:
    """The first n decoded fields of a split of the model's own data (same seed as training)."""
    data = model.adapter.datasets(int(model.record["seed"]))[split]
    return model.adapter.decode(torch.stack([data[i]["x"] for i in range(min(n, len(data)))]))


class Lifted:
    """A physical-units linear operator lifted to the state once (with a dense SVD when asked), reused for every
    observation: (A D, y - A(offset))."""

    def __init__(self, adapter: Any, op: LinearOperator, svd: bool) -> None:
        scale, offset = adapter.affine()
        self.op = scaled(op, scale)
        if svd and not self.op.has_svd:
            self.op = self.op.with_dense_svd()
            self.op.singular_values()  # the dense SVD is computed here, once
        self.shift = op.forward(offset.to(F64).expand(1, *op.in_shape))[0]

    def y(self, y: Tensor) -> Tensor:
        return y - self.shift


def posterior(
    model: Any, a_state: Operator, y_state: Tensor, sigma: float, method: str, steps: int, n: int, seed: int, **opt: Any
) -> tuple[Tensor, float]:
    """(decoded posterior samples (n, C, H, W), seconds)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs = sciddiff.posterior_sample(
            model.denoiser, model.process, a_state, y_state.float(), sigma, method, steps, n, generator=seed, **opt
        )
    return model.adapter.decode(xs), time.perf_counter() - start


def summarise(name: str, truths: Tensor, samples: Tensor, seconds: float, **kw: Any) -> dict[str, Any]:
    """Metrics of a method over instances: samples (B, L, C, H, W) (L = 1 for point estimates)."""
    out = {"method": name, "seconds": seconds / len(truths)}
    out.update(reconstruction_metrics(truths, samples, **kw))
    return out


def fmt(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def tune(values: list[float], score: Callable[[float], float]) -> tuple[float, float]:
    """(best value, its score) of a grid search maximising ``score``."""
    scores = [score(v) for v in values]
    i = int(np.argmax(scores))
    return values[i], scores[i]


def noisy(op: Operator, truths: Tensor, rel: float | None, std: float | None, seed: int) -> tuple[Tensor, list[float]]:
    """Observations with Gaussian noise: std = rel * max|A x| per instance, or a fixed std."""
    g = torch.Generator().manual_seed(seed)
    clean = op.forward(truths)
    sig = [float(rel * c.abs().max()) if rel is not None else float(std) for c in clean]
    ys = torch.stack([c + s * torch.randn(c.shape, generator=g, dtype=F64) for c, s in zip(clean, sig, strict=True)])
    return ys, sig


def recon_table(rows: list[dict[str, Any]], extra: list[str] = ()) -> list[str]:
    head = ["method", "PSNR", "SSIM", "rel L2", *extra, "z std (target)", "90% coverage", "SBC min p", "s / instance"]
    body = []
    for r in rows:
        z = f"{fmt(r.get('z_std'))} ({fmt(r.get('z_std_target'))})" if "z_std" in r else "-"
        extras = [fmt(r.get(k), 3) for k in extra]
        cov = fmt(r.get("coverage_90"))
        body.append([r["method"], fmt(r["psnr"]), fmt(r.get("ssim"), 3), fmt(r["rel_l2"], 3), *extras, z, cov,
                     fmt(r.get("sbc_min_p"), 3), fmt(r["seconds"], 1)])  # fmt: skip
    return table(head, body)
