"""Darcy part of the fields benchmark (DiffusionPDE-style, 32x32, 100 sensors, a joint prior of (a, u)):
forward (u from noisy sensors of a) and inverse (a from sensors of u with 1% noise).

Rows: a classical baseline per problem (sensor interpolation, thresholding, FD solve); for the forward problem
the exact-prior reference (the posterior of a under the data's own thresholded-GRF prior, pushed through the
solve: what a perfectly learned prior would give); DDRM, DiffPIR and DPS
on the sensors; DPS with the PDE residual observed as zero (DiffusionPDE's physics term); for the inverse
problem DPS through the FD solver u(a) itself (adjoint gradients, ``solver: true``); with ``--deepinv``,
deepinv's DDRM, DiffPIR and DPS on the same prior and sensors. Every posterior row is also reported projected
onto the data's exact constraints (``adapter.project``: a thresholded to {3, 12}, u re-solved from it), which
pushes the posterior over a through the PDE. sciddiff's DPS step sizes are tuned on validation pairs.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from sciddiff.domains.fields.baselines import interpolate_masked, thresholded_grf_posterior
from sciddiff.domains.fields.evaluation import reconstruction_metrics
from sciddiff.domains.fields.simulators import solve_darcy
from torch import Tensor

import sciddiff
from sciddiff.train.problems import build_operator, state_problem
from scripts.benchmarks.fields_common import F64, Lifted, fmt, noisy, posterior, summarise, test_fields
from scripts.benchmarks.fields_train import train_task
from scripts.benchmarks.markdown import table

PROBLEMS = (("forward", "a", None, 0.01), ("inverse", "u", 0.01, None))  # (name, observed, rel noise, abs noise)


def darcy_summary(name: str, truths: Tensor, samples: Tensor, seconds: float, problem: str) -> dict[str, Any]:
    """Relative L2 of u and the coefficient error rate of the posterior mean; calibration on the unobserved
    channel: u for the forward problem, on the interior nodes (u = 0 on the boundary is known exactly), a for the
    inverse one unless its samples are two-valued (projected), where standardised errors are undefined."""
    hidden = 1 if problem == "forward" else 0
    two_valued = bool(samples[:, :, hidden].unique().numel() <= 2)
    cal_truth, cal = (truths[..., 1:-1, 1:-1], samples[..., 1:-1, 1:-1]) if hidden == 1 else (truths, samples)
    out = summarise(name, cal_truth, cal.mean(1, keepdim=True) if two_valued else cal, seconds, channels=[hidden])
    mean = samples.mean(1, keepdim=True)
    out["rel_l2_u"] = float(reconstruction_metrics(truths, mean, channels=[1])["rel_l2"])
    out["coefficient_error_rate"] = float(
        reconstruction_metrics(truths, mean, darcy_channel=0)["coefficient_error_rate"]
    )
    return out


def target(row: dict[str, Any], problem: str) -> float:
    """The problem's target metric (lower is better): rel L2 of u forward, coefficient error rate inverse."""
    return row["rel_l2_u"] if problem == "forward" else row["coefficient_error_rate"]


def baseline(adapter: Any, op: Any, ys: Tensor, truths: Tensor, problem: str) -> tuple[str, Tensor]:
    """Forward: interpolate the a sensors, threshold, FD solve. Inverse: interpolate the u sensors, a constant at
    the majority value of the test coefficients."""
    est = []
    if problem == "forward":
        sub = build_operator({"name": "mask", "kwargs": {"observed": op.observed.tolist()}}, adapter.shape)
        a_mask = sciddiff.operators.Mask(sub.mask[0])
        for y in ys:
            a_bin = torch.where(interpolate_masked(a_mask, y) >= 7.5, 12.0, 3.0).to(F64)
            est.append(torch.stack([a_bin, torch.as_tensor(solve_darcy(a_bin.numpy()))]))
        return "sensor interpolation of a + threshold + FD solve", torch.stack(est)[:, None]
    u_mask = sciddiff.operators.Mask(op.mask[1])
    for y in ys:
        u_hat = interpolate_masked(u_mask, y)
        a_major = torch.full_like(u_hat, 3.0 if float((truths[:, 0] < 7.5).double().mean()) > 0.5 else 12.0)
        est.append(torch.stack([a_major, u_hat]))
    return "sensor interpolation of u (a: majority value)", torch.stack(est)[:, None]


def exact_prior_reference(adapter: Any, op: Any, ys: Tensor, n: int) -> Tensor:
    """(B, n, 2, H, W) posterior draws of (a, u) given the a sensors under the data's true prior: the latent
    Gaussian field given the signs of its sensor values (a >= 7.5), thresholded, and u solved from it."""
    size = adapter.shape[-1]
    sensors = op.mask[0].reshape(-1).nonzero().squeeze(1).numpy()  # the order of the observed values
    out = []
    for j, y in enumerate(ys):
        signs = np.where(y.numpy() >= 7.5, 1.0, -1.0)
        z = torch.as_tensor(thresholded_grf_posterior(sensors, signs, size, n, seed=80 + j))
        out.append(adapter.project(torch.stack([z + 7.5, torch.zeros_like(z)], dim=1)))  # threshold at 7.5, solve
    return torch.stack(out)


Sampler = Callable[[int, Tensor, float, int, float], tuple[Tensor, float]]  # (j, y, sigma, seed, scale)


def run_method(draw: Sampler, ys: Tensor, sig: list[float], seed: int, scale: float) -> tuple[Tensor, float]:
    samples, secs = [], 0.0
    for j, y in enumerate(ys):
        s, sec = draw(j, y, sig[j], seed + j, scale)
        samples.append(s)
        secs += sec
    return torch.stack(samples), secs


def darcy_part(args: argparse.Namespace, train_minutes: float) -> dict[str, Any]:
    model, info = train_task("darcy", train_minutes)
    first = args.darcy_first  # test pairs first .. first + n_darcy - 1 (a later block checks a result's spread)
    truths, vals = test_fields(model, "test", first + args.n_darcy)[first:], test_fields(model, "val", args.n_val)
    results, tuned = {}, {}
    for problem, observe, rel, std in PROBLEMS:
        results[problem], tuned[problem] = problem_rows(args, model, truths, vals, problem, observe, rel, std)
    return {"problems": results, "train": info, "tuned": tuned}


def problem_rows(
    args: argparse.Namespace,
    model: Any,
    truths: Tensor,
    vals: Tensor,
    problem: str,
    observe: str,
    rel: float | None,
    std: float | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of one problem, and the DPS scales chosen on the validation pairs."""
    adapter = model.adapter
    kw = {"observe": observe, "n": 100, "seed": 0}
    op = adapter.operator({"name": "darcy", "kwargs": kw}, adapter.shape)
    ys, sig = noisy(op, truths, rel, std, seed=5)
    val_ys, val_sig = noisy(op, vals, rel, std, seed=6)
    t = time.perf_counter()
    name, est = baseline(adapter, op, ys, truths, problem)
    rows = [darcy_summary(name, truths, est, time.perf_counter() - t, problem)]
    if problem == "forward":  # the reference that knows the coefficient's true prior
        t = time.perf_counter()
        reference = exact_prior_reference(adapter, op, ys, args.n_reference)
        label = "exact-prior reference: thresholded-GRF posterior of a (Gibbs) + FD solve"
        rows.append(darcy_summary(label, truths, reference, time.perf_counter() - t, problem))
    lifted = Lifted(adapter, op, svd=True)

    def project(samples: Tensor) -> Tensor:
        return torch.stack([adapter.project(s) for s in samples])

    def sensors(method: str, n: int) -> Sampler:
        def draw(j: int, y: Tensor, s: float, seed: int, scale: float) -> tuple[Tensor, float]:
            opt = {"scale": scale} if method == "dps" else {}
            return posterior(model, lifted.op, lifted.y(y), s, method, args.steps, n, seed, **opt)

        return draw

    def anchor(method: str, n: int) -> Sampler:
        from scripts.benchmarks.fields_deepinv import run_deepinv

        def draw(j: int, y: Tensor, s: float, seed: int, scale: float) -> tuple[Tensor, float]:
            x, sec = run_deepinv(method, model, lifted.op, lifted.y(y), s, n, args.steps, seed)
            return adapter.decode(x), sec

        return draw

    def through_solver(j: int, y: Tensor, s: float, seed: int, scale: float) -> tuple[Tensor, float]:
        solver_op = adapter.operator({"name": "darcy", "kwargs": {**kw, "solver": True}}, adapter.shape)
        a_state, y_state = state_problem(adapter, solver_op, y)
        return posterior(model, a_state, y_state, s, "dps", args.steps, args.n_samples_dps, seed, scale=scale)

    def residual(j: int, y: Tensor, s: float, seed: int, scale: float) -> tuple[Tensor, float]:
        pde = adapter.operator({"name": "darcy", "kwargs": {**kw, "pde_weight": s / args.pde_tol}}, adapter.shape)
        y_full = torch.cat([y, torch.zeros(pde.out_dim - y.numel(), dtype=F64)])
        a_state, y_state = state_problem(adapter, pde, y_full)
        return posterior(model, a_state, y_state, s, "dps", args.steps, args.n_samples_dps, seed, scale=scale)

    methods: list[tuple[str, Sampler, bool]] = [
        (f"sciddiff {m.upper()}", sensors(m, args.n_samples if m != "dps" else args.n_samples_dps), m == "dps")
        for m in ("ddrm", "diffpir", "dps")
        if m in args.methods
    ]
    if args.pde_tol > 0:
        methods.append((f"sciddiff DPS + PDE residual (tolerance {args.pde_tol:g})", residual, True))
    if problem == "inverse":
        methods.append(("sciddiff DPS through the FD solver (adjoint)", through_solver, True))
    if args.deepinv:  # deepinv's solvers on the same prior and sensor operator (their own step sizes)
        methods += [(f"deepinv {m.upper()}", anchor(m, args.n_samples if m != "dps" else args.n_samples_dps), False)
                    for m in ("ddrm", "diffpir", "dps")]  # fmt: skip
    tuned = {}
    for label, draw, tunable in methods:
        scale = 1.0
        if tunable:  # the DPS step size, on validation pairs only (scored after projection)
            score = {}
            for c in args.dps_scales:
                val_samples = project(run_method(draw, val_ys, val_sig, 70, c)[0])
                score[c] = target(darcy_summary("", vals, val_samples, 0.0, problem), problem)
            scale = min(score, key=score.get)
            tuned[label] = {"scale": scale, "validation": score}
        samples, secs = run_method(draw, ys, sig, 40, scale)
        rows.append(darcy_summary(label, truths, samples, secs, problem))
        t = time.perf_counter()
        projected = project(samples)
        rows.append(darcy_summary(f"{label}, projected", truths, projected, secs + time.perf_counter() - t, problem))
    return rows, tuned


def darcy_table(rows: list[dict[str, Any]]) -> list[str]:
    head = ["method", "rel L2 of u", "coefficient error rate", "z std (target)", "90% coverage", "s / instance"]
    body = [[r["method"], fmt(r["rel_l2_u"], 4), fmt(r["coefficient_error_rate"], 4),
             f"{fmt(r.get('z_std'))} ({fmt(r.get('z_std_target'))})" if "z_std" in r else "-",
             fmt(r.get("coverage_90")), fmt(r["seconds"], 1)] for r in rows]  # fmt: skip
    return table(head, body)


def darcy_render(r: dict[str, Any], stamp: str, args: argparse.Namespace, train_line: str) -> tuple[str, str]:
    lines = [stamp, "", train_line, ""]
    for problem, rows in r["problems"].items():
        what = (
            "u from 100 sensors of a (noise std 0.01)" if problem == "forward" else "a from 100 sensors of u (1% noise)"
        )
        pairs = (
            f"test pairs {args.darcy_first}-{args.darcy_first + args.n_darcy - 1}"
            if args.darcy_first
            else f"{args.n_darcy} test pairs"
        )
        lines += [f"**{problem}**: recover {what}; {pairs}, 32x32", ""]
        lines += [*darcy_table(rows), ""]
    best = {p: min(rows, key=lambda x: target(x, p)) for p, rows in r["problems"].items()}
    sci = {
        p: min((x for x in rows if x["method"].startswith("sciddiff")), key=lambda x: target(x, p))
        for p, rows in r["problems"].items()
    }
    fwd, inv = target(sci["forward"], "forward"), target(sci["inverse"], "inverse")
    lines.append(
        f"Targets: forward rel L2 of u <= 5%: best sciddiff {100 * fwd:.1f}% ({sci['forward']['method']}; "
        f"{'met' if fwd <= 0.05 else 'MISSED'}); inverse coefficient error rate <= 8%: best sciddiff {100 * inv:.1f}% "
        f"({sci['inverse']['method']}; {'met' if inv <= 0.08 else 'MISSED'}). Best row overall: forward "
        f"{best['forward']['method']}, inverse {best['inverse']['method']}."
    )
    tuned = "; ".join(
        f"{p} {k}: {v['scale']:g} (" + ", ".join(f"{c}: {s:.4f}" for c, s in v["validation"].items()) + ")"
        for p, per in r.get("tuned", {}).items()
        for k, v in per.items()
    )
    lines.append(
        f"\nDPS step sizes (scale) chosen on {args.n_val} validation pairs by the target metric after projection "
        f"(scale: validation score): {tuned}. Projected rows: each sample's a thresholded to {{3, 12}} and u solved "
        "from it by the FD solver, so u follows the PDE exactly; their a is two-valued, so z is not defined on a and "
        "the inverse problem's calibration columns are blank. Calibration columns refer to the unobserved channel "
        f"(u forward, on the interior nodes; a inverse). The prior had {r['train']['steps']} optimisation steps in its "
        f"{r['train']['seconds'] / 60:.0f}-minute cap; {args.n_darcy} test pairs, {args.n_samples} samples "
        f"(DDRM, DiffPIR) or {args.n_samples_dps} (DPS rows) per pair."
    )
    return "### Fields: Darcy flow from 100 sensors (joint prior of a and u)", "\n".join(lines)
