"""Calibration of posterior samples of a trained model where the truths are known: simulation-based calibration
ranks, TARP expected coverage and the posterior-predictive chi-square, as netCDF and figures.

With truths drawn from the model's own prior (``sciddiff-solve observation.source=model``) the ranks are uniform
exactly when the posterior sampler is exact for that prior (Talts et al., "Validating Bayesian Inference
Algorithms with Simulation-Based Calibration", 2018, arXiv:1804.06788); with held-out data as truths they also
test the prior itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import xarray as xr
from torch import Tensor

from sciddiff.calibration import coverage_curve, projections, residual_chi2, sbc_ranks, tarp_levels
from sciddiff.calibration.sbc import coordinates
from sciddiff.operators import Operator, as_noise_model
from sciddiff.train.outputs import netcdf_attrs, write_netcdf

MAX_COORDINATES = 16


def calibration_report(
    op: Operator,
    ys: Tensor,
    truths: Tensor,
    samples: list[Tensor],
    noise_std: float,
    out_dir: Path,
    attrs: dict[str, Any],
    seed: int = 0,
) -> dict[str, float]:
    """Write ``calibration.nc``, ``sbc.png`` and ``coverage.png``; return summary numbers.

    Ranks use each coordinate for data of at most 16 entries, else 16 fixed random projections; TARP's
    reference point for instance i is the truth of instance i + 1 (independent of truth i).
    """
    n = truths.shape[0]
    flat_t = truths.reshape(n, -1).double()
    flat_s = torch.stack([s.reshape(s.shape[0], -1).double() for s in samples])
    d = flat_t.shape[1]
    statistic = coordinates if d <= MAX_COORDINATES else projections(d, MAX_COORDINATES, seed)
    sbc = sbc_ranks(flat_t, flat_s, statistic, generator=torch.Generator().manual_seed(seed))
    tarp = tarp_levels(flat_t, flat_s, flat_t.roll(1, dims=0))
    noise = as_noise_model(noise_std, op.out_shape)
    chi2 = torch.stack(
        [residual_chi2(op, y.double(), s.double(), noise).reduced.mean() for y, s in zip(ys, samples, strict=True)]
    )
    names = (
        [f"x[{j}]" for j in range(d)] if d <= MAX_COORDINATES else [f"projection {j}" for j in range(MAX_COORDINATES)]
    )
    sbc.histogram(out_dir / "sbc.png", names)
    alphas, cov = coverage_curve(tarp)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot(alphas, cov, label="TARP")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set(xlabel="credibility level", ylabel="expected coverage", title=f"{n} observations")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "coverage.png", dpi=110)
    plt.close(fig)
    data = xr.Dataset(
        {
            "sbc_rank": (("obs", "statistic"), sbc.ranks.numpy()),
            "sbc_p_value": (("statistic",), sbc.p_values.numpy()),
            "tarp_level": (("obs",), tarp.numpy()),
            "reduced_chi2": (("obs",), chi2.numpy()),
        },
        attrs=netcdf_attrs({**attrs, "n_posterior": flat_s.shape[1]}),
    )
    write_netcdf(data, out_dir / "calibration.nc")
    return {
        "sbc_min_p_value": float(sbc.p_values.min()),
        "tarp_coverage_90": float((tarp < 0.9).double().mean()),
        "mean_reduced_chi2": float(chi2.mean()),
    }
