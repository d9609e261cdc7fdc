"""Kuramoto-Sivashinsky rollouts of 1000+ steps from chained 32-step windows: the time-averaged log energy
spectrum and the marginal distribution against the simulator's held-out trajectories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sciddiff.domains.timeseries.metrics import log_spectrum_error, marginal_w1
from sciddiff.domains.timeseries.rollout import model_rollout

from scripts.benchmarks.timeseries_common import SAMPLING, model, timed

OVERLAP = 8


def linear_rollout(train: np.ndarray, start: np.ndarray, n_steps: int, seed: int) -> np.ndarray:
    """A fitted linear stochastic model u_{t+1} = A u_t + b + N(0, Q) (least squares on the training states),
    run from ``start`` (n, C, O): the classical linear-Gaussian emulator."""
    x, y = train[:-1], train[1:]
    design = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    chol = np.linalg.cholesky(np.cov(resid.T) + 1e-9 * np.eye(resid.shape[1]))
    rng = np.random.default_rng(seed)
    u = start[..., -1]
    out = [start]
    for _ in range(n_steps - start.shape[-1]):
        u = np.concatenate([u, np.ones((len(u), 1))], axis=1) @ coef + rng.standard_normal(u.shape) @ chol.T
        out.append(u[..., None])
    return np.concatenate(out, axis=-1)


def rollout_stats(fields: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """Spectrum error and marginal W1 of fields (n, C, T) against reference snapshots (m, C), overall and over
    the last 500 steps (stability), and the largest |u|."""
    snaps = fields.transpose(0, 2, 1).reshape(-1, fields.shape[1])
    late = fields[..., -500:].transpose(0, 2, 1).reshape(-1, fields.shape[1])
    return {
        "spectrum_error": log_spectrum_error(snaps, reference),
        "w1_over_std": marginal_w1(snaps, reference),
        "spectrum_error_last500": log_spectrum_error(late, reference),
        "w1_over_std_last500": marginal_w1(late, reference),
        "max_abs": float(np.abs(fields).max()),
    }


def ks_rollout(
    n_steps: int = 1024, members: int = 4, guided_members: int = 2, seed: int = 0, figure: Path | None = None
) -> dict[str, Any]:
    cond, cond_train = model("ks_conditional")
    prior, prior_train = model("ks_prior")
    test = cond.adapter.splits["test"]
    lo = int(test.start.min())
    reference = test.values[:, lo:]  # (S, T_test, C): every held-out step of every trajectory
    ref_snaps = reference.reshape(-1, reference.shape[-1])
    train = cond.adapter.splits["train"]
    train_fields = train.values[0, : int(train.start.max()) + train.window]
    n_traj = reference.shape[0]  # member s starts on trajectory s mod S, 100 (s // S) steps into the test split
    starts = np.stack([reference[s % n_traj, 100 * (s // n_traj) :][:OVERLAP].T for s in range(members)])
    start = torch.as_tensor(starts)
    rows, series = {}, {}
    out, sec = timed(lambda: model_rollout(cond, start, n_steps, OVERLAP, SAMPLING, seed))
    series["conditional"] = out.series.numpy()
    rows["conditional"] = {
        **rollout_stats(series["conditional"], ref_snaps),
        "overlap_error": float(out.overlap_error.max()),
        "seconds": sec,
    }
    g_start = start[:guided_members]
    try:
        out, sec = timed(lambda: model_rollout(prior, g_start, n_steps, OVERLAP, SAMPLING, seed + 1, noise_std=0.02))
    except ValueError as err:  # a diverging rollout is a result to report, not a crash of the benchmark
        rows["guided"] = {"failed": str(err)}
    else:
        series["guided"] = out.series.numpy()
        stats = rollout_stats(series["guided"], ref_snaps)
        rows["guided"] = {**stats, "overlap_error": float(out.overlap_error.max()), "seconds": sec}
    lin, sec = timed(lambda: linear_rollout(train_fields, starts, n_steps, seed))
    series["linear stochastic"] = lin
    rows["linear stochastic"] = {**rollout_stats(lin, ref_snaps), "seconds": sec}
    half = reference.shape[1] // 2  # the metrics' floor: one held-out stretch against the other
    first = reference[:, :half].transpose(0, 2, 1)
    rows["simulator (held-out half)"] = rollout_stats(
        first[:, :, : max(n_steps, 500)], reference[:, half:].reshape(-1, reference.shape[-1])
    )
    if figure is not None:
        plot_rollouts(series, reference[0, :n_steps].T, figure)
    return {
        "rows": rows,
        "training": {"conditional": cond_train, "guided": prior_train},
        "n_steps": n_steps,
        "members": {"conditional": members, "guided": guided_members},
    }


def plot_rollouts(series: dict[str, np.ndarray], truth: np.ndarray, path: Path) -> Path:
    """Space-time plots of the first member of each rollout beside a simulated trajectory."""
    panels = {"simulator": truth, **{k: v[0] for k, v in series.items()}}
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.8 * len(panels)), sharex=True)
    lim = float(np.abs(truth).max())
    for ax, (name, u) in zip(axes, panels.items(), strict=True):
        ax.imshow(u, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, origin="lower")
        ax.set_ylabel(name, fontsize=8)
    axes[-1].set_xlabel("time step")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
