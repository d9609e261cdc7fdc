"""Imaging inverse problems on a trained image prior (the CT phantoms, or natural-image patches from held-out
photographs): MRI-style partial Fourier, deblurring, 4x super-resolution and inpainting (random pixels, a centred
box), each against its classical baseline and TV (weight tuned on validation images only), with deepinv's DDRM and
DiffPIR (``--deepinv``) on the same prior and the same lifted operator."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import torch
from sciddiff.domains.fields.baselines import (
    bicubic,
    interpolate_masked,
    tv_reconstruct,
    wiener_deconvolution,
    zero_filled,
)
from sciddiff.domains.fields.evaluation import reconstruction_metrics
from torch import Tensor

from sciddiff.operators import Blur, Downsample, Mask, Operator, PartialFourier
from sciddiff.train.problems import build_operator
from scripts.benchmarks.fields_common import Lifted, noisy, posterior, recon_table, summarise, test_fields, tune
from scripts.benchmarks.fields_train import train_task

TASKS: dict[str, dict[str, Any]] = {
    "MRI (partial Fourier, 4x)": {
        "name": "partial_fourier",
        "kwargs": {"acceleration": 4, "center_fraction": 0.08, "seed": 0},
    },
    "deblurring (Gaussian, sigma 1.5 px)": {"name": "blur", "kwargs": {"sigma": 1.5}},
    "4x super-resolution": {"name": "downsample", "kwargs": {"factor": 4}},
    "inpainting (70% of the pixels missing at random)": {"name": "mask", "random": {"fraction": 0.3, "seed": 0}},
    "inpainting (a centred box of 3/8 the side hidden)": {"name": "box", "kwargs": {"fraction": 0.140625}},
}
TV_WEIGHTS = [0.003, 0.01, 0.03, 0.1]
WIENER_NSR = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1]


def classical(op: Operator, val_psnr: Callable[[Callable[[Tensor], Tensor]], float]) -> tuple[str, Callable]:
    """(name, estimator y -> x) of the operator's classical baseline; Wiener's NSR is tuned on validation data."""
    if isinstance(op, PartialFourier):
        return "zero-filled IFFT", lambda y: zero_filled(op, y)
    if isinstance(op, Downsample):
        return "bicubic", lambda y: bicubic(op, y)
    if isinstance(op, Blur):
        nsr, _ = tune(WIENER_NSR, lambda v: val_psnr(lambda y: wiener_deconvolution(op, y, v)))
        return f"Wiener (NSR {nsr:g}, val-tuned)", lambda y: wiener_deconvolution(op, y, nsr)
    if isinstance(op, Mask) and op.mask.shape[0] == 1:
        grid = Mask(op.mask[0])
        return "linear interpolation", lambda y: interpolate_masked(grid, y)[None]
    raise ValueError(f"no classical baseline for {op!r}")


def tv(op: Operator, lam: float, n_iter: int) -> Callable[[Tensor], Tensor]:
    """The non-negative TV reconstruction y -> x with weight ``lam``."""
    return lambda y: tv_reconstruct(op, y, lam, n_iter, nonnegative=True)


PRIORS = {"ct": "phantoms", "patches": "natural-image patches"}


def imaging_part(args: argparse.Namespace, train_minutes: float, prior: str = "ct") -> dict[str, Any]:
    """Every task of :data:`TASKS` on the test images of ``prior`` (a :data:`PRIORS` key)."""
    model, info = train_task(prior, train_minutes)
    adapter = model.adapter
    truths, vals = test_fields(model, "test", args.n_imaging), test_fields(model, "val", args.n_val)
    kw = {"data_range": 1.0}
    out: dict[str, list[dict[str, Any]]] = {}
    weights: dict[str, float] = {}
    for task, cfg in TASKS.items():
        op = adapter.operator(cfg, adapter.shape) or build_operator(cfg, adapter.shape)
        ys, sig = noisy(op, truths, None, args.imaging_noise, seed=3)
        y_val, _ = noisy(op, vals, None, args.imaging_noise, seed=4)

        def val_psnr(fn: Callable[[Tensor], Tensor], y_val: Tensor = y_val) -> float:
            return reconstruction_metrics(vals, torch.stack([fn(y) for y in y_val])[:, None], **kw)["psnr"]

        def point(name: str, fn: Callable[[Tensor], Tensor], ys: Tensor = ys) -> dict[str, Any]:
            t = time.perf_counter()
            est = torch.stack([fn(y) for y in ys])
            return summarise(name, truths, est[:, None], time.perf_counter() - t, **kw)

        base_name, base = classical(op, val_psnr)
        rows = [point(base_name, base)]
        lam, _ = tune(TV_WEIGHTS, lambda v, op=op: val_psnr(tv(op, v, args.tv_iter)))
        weights[task] = lam
        rows.append(point(f"TV (lam {lam:g}, val-tuned)", tv(op, lam, args.tv_iter)))
        lifted = Lifted(adapter, op, svd=True)
        for method in ("ddrm", "diffpir"):
            samples, secs = [], 0.0
            for j, y in enumerate(ys):
                s, sec = posterior(model, lifted.op, lifted.y(y), sig[j], method, args.steps, args.n_samples, 30 + j)
                samples.append(s)
                secs += sec
            rows.append(summarise(f"sciddiff {method.upper()}", truths, torch.stack(samples), secs, **kw))
        if args.deepinv:
            from scripts.benchmarks.fields_deepinv import run_deepinv

            for method in ("ddrm", "diffpir"):
                samples, secs = [], 0.0
                for j, y in enumerate(ys):
                    x, sec = run_deepinv(
                        method, model, lifted.op, lifted.y(y), sig[j], args.n_samples, args.steps, 40 + j
                    )
                    samples.append(adapter.decode(x))
                    secs += sec
                rows.append(summarise(f"deepinv {method.upper()}", truths, torch.stack(samples), secs, **kw))
        out[task] = rows
    return {"tasks": out, "train": info, "tv_weights": weights, "prior": prior, "size": list(adapter.shape)}


def imaging_render(r: dict[str, Any], stamp: str, args: argparse.Namespace, train_line: str) -> tuple[str, str]:
    what = PRIORS[r["prior"]]
    size = "x".join(str(n) for n in r["size"][-2:])
    same = " Same prior as the CT section." if r["prior"] == "ct" else " Test patches come from held-out photographs."
    lines = [stamp, "", train_line + same, ""]
    for task, rows in r["tasks"].items():
        lines += [f"**{task}**, noise std {args.imaging_noise} on [0, 1] images, {args.n_imaging} test {what}", ""]
        lines += [*recon_table(rows), ""]
    lines.append(
        f"TV: {args.tv_iter} Chambolle-Pock iterations, x >= 0, weight from {TV_WEIGHTS} by PSNR on {args.n_val} "
        f"validation {what} (the Wiener NSR likewise, from {WIENER_NSR}). Posterior methods: {args.steps} steps, "
        f"{args.n_samples} samples per instance, the same prior and lifted operator (dense SVD) for sciddiff and "
        "deepinv; PSNR/SSIM of the posterior mean on [0, 1]."
    )
    title = f"### Fields: MRI, deblurring, 4x super-resolution and inpainting on {size} {what}"
    return title, "\n".join(lines)
