"""Solver benchmark: accuracy against NFE on exact Gaussian mixtures, sciddiff beside its anchors.

For every method and NFE in {5, 10, 20, 50}, from the same standard-normal draws:
- flow-map error: RMS distance to the exact probability-flow map from the method's own start (y_T, s_T) down
  to noise level 0 (scipy DOP853, rtol 1e-10, then the exact denoiser at s = 1e-5);
- sliced W2 (256 projections) to exact mixture samples, beside the two-sample floor;
- per-step overhead with an identity network, against diffusers' ``scheduler.step``.

Run: python scripts/benchmarks/solvers.py [--n 1000] [--write]   (--write updates BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import Tensor

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sciddiff  # noqa: E402
from sciddiff.analytic import GaussianMixture, flow_map, ve_denoiser  # noqa: E402
from sciddiff.calibration import sliced_wasserstein  # noqa: E402
from sciddiff.processes import VP  # noqa: E402
from scripts.benchmarks.anchors import NFETooSmall, available_anchors, time_step_overhead  # noqa: E402
from scripts.benchmarks.markdown import replace_section, table  # noqa: E402
from scripts.benchmarks.mixtures import BENCHMARK_MIXTURES  # noqa: E402

F64 = torch.float64
NFES = (5, 10, 20, 50)
PROCESS = VP()


def steps_for(solver: str, nfe: int) -> int:
    """Grid intervals whose evaluation count, final denoise included, equals ``nfe`` (or is just below)."""
    return {"heun": nfe // 2, "dpmpp_3m": nfe - 2}.get(solver, nfe - 1)


SCIDDIFF = [
    ("ddim", "karras"),
    ("heun", "karras"),
    ("dpmpp_2m", "karras"),
    ("dpmpp_3m", "karras"),
    ("unipc", "karras"),
    ("dpmpp_2m", "uniform_logsnr"),
    ("unipc", "uniform_logsnr"),
    ("dpmpp_2m", "optimized"),
    ("dpmpp_3m", "optimized"),
    ("unipc", "optimized"),
]


class Reference:
    """Exact flow maps, cached by starting point."""

    def __init__(self, mix: GaussianMixture) -> None:
        self.den, self.cache = ve_denoiser(mix), {}

    def __call__(self, y_t: Tensor, s_t: float) -> Tensor:
        key = (round(s_t, 9), float(y_t.double().sum()), float(y_t.double().abs().sum()))
        if key not in self.cache:
            self.cache[key] = flow_map(self.den, y_t.double(), s_t)
        return self.cache[key]


def rms(a: Tensor, b: Tensor) -> float:
    return float((a.double() - b.double()).pow(2).sum(1).mean().sqrt())


def run_sciddiff(mix: GaussianMixture, eps: Tensor, solver: str, grid: str, nfe: int) -> dict:
    den = mix.denoiser(PROCESS)
    steps = steps_for(solver, nfe)
    x_t = eps * PROCESS.prior_std()
    tuning_nfe = 0
    if grid == "optimized":
        tuned = sciddiff.optimize_grid(den, PROCESS, solver, steps, like=x_t[:1], seed=10_000)
        grid_used, tuning_nfe = tuned.grid, tuned.cost.nfe
    else:
        grid_used = grid
    start = time.perf_counter()
    out, info = sciddiff.sample(den, PROCESS, x_t, solver, steps, grid=grid_used, return_info=True)
    alpha, sigma = (float(c) for c in PROCESS.alpha_sigma(torch.tensor(PROCESS.t_max, dtype=F64)))
    return {
        "samples": out,
        "y_T": x_t / alpha,
        "s_T": sigma / alpha,
        "nfe": info.nfe,
        "seconds": time.perf_counter() - start,
        "tuning_nfe": tuning_nfe,
    }


def accuracy(args: argparse.Namespace) -> tuple[list[str], dict]:
    anchors = available_anchors()
    lines, best = [], {}
    for mix_name, make in BENCHMARK_MIXTURES.items():
        mix = make()
        ref = Reference(mix)
        eps = torch.randn(args.n, mix.dim, generator=torch.Generator().manual_seed(1), dtype=F64)
        exact_a = mix.sample(args.n, generator=2, dtype=F64)
        floor = sliced_wasserstein(exact_a, mix.sample(args.n, generator=3, dtype=F64))
        rows = []
        for nfe in NFES:
            results = {}
            for solver, grid in SCIDDIFF:
                r = run_sciddiff(mix, eps, solver, grid, nfe)
                results[f"sciddiff {solver} ({grid})"] = r
            for name, fn in anchors.items():
                try:
                    res = fn(ve_denoiser(mix), eps, nfe)
                except NFETooSmall:
                    continue
                results[name] = {
                    "samples": res.samples,
                    "y_T": res.y_T,
                    "s_T": res.s_T,
                    "nfe": res.nfe,
                    "seconds": float("nan"),
                    "tuning_nfe": 0,
                }
            for name, r in results.items():
                err = rms(r["samples"], ref(r["y_T"], r["s_T"]))
                sw = sliced_wasserstein(r["samples"], exact_a)
                r.update(err=err, sw=sw)
                tune = f" (+{r['tuning_nfe']} tuning)" if r["tuning_nfe"] else ""
                rows.append([nfe, name, f"{r['nfe']}{tune}", f"{err:.4f}", f"{sw:.4f}", f"{sw / floor:.2f}"])
            ours = min((r["err"], n) for n, r in results.items() if n.startswith("sciddiff"))
            theirs = min((r["err"], n) for n, r in results.items() if not n.startswith("sciddiff"))
            best[(mix_name, nfe)] = (ours, theirs)
            print(
                f"[{mix_name}] NFE {nfe}: best sciddiff {ours[1]} {ours[0]:.4f}; best anchor {theirs[1]} "
                f"{theirs[0]:.4f}",
                flush=True,
            )
        lines += [f"#### {mix_name} — sliced-W2 two-sample floor {floor:.4f} (n = {args.n})", ""]
        lines += [*table(["NFE", "method", "NFE used", "flow-map RMS", "sliced W2", "SW2 / floor"], rows), ""]
    summary = []
    for (mix_name, nfe), (ours, theirs) in best.items():
        gain = 1 - ours[0] / theirs[0]
        verdict = "" if nfe > 10 else ("met" if gain >= 0.2 else "missed")
        summary.append(
            [mix_name, nfe, f"{ours[1]} {ours[0]:.4f}", f"{theirs[1]} {theirs[0]:.4f}", f"{100 * gain:.0f}%", verdict]
        )
    head = table(
        ["mixture", "NFE", "best sciddiff (flow-map RMS)", "best anchor", "reduction", "target (>= 20% at NFE 5, 10)"],
        summary,
    )
    return [*head, "", *lines], best


def overhead() -> list[str]:
    """Per-step cost with an identity network (returns x), float32, median of 15: the marginal cost of a step
    (time at 100 steps minus time at 25, over 75) and the whole call at 25 steps divided by 25 (set-up included)."""
    rows = []
    for b, d in ((1, 16), (64, 1024)):
        x = torch.randn(b, d)
        for solver in ("dpmpp_2m", "euler", "unipc"):
            med = {}
            for steps in (25, 100):
                times = []
                for _ in range(16):
                    start = time.perf_counter_ns()
                    sciddiff.sample(lambda z, t: z, PROCESS, x, solver, steps, denoise_final=False)
                    times.append(time.perf_counter_ns() - start)
                med[steps] = statistics.median(times[1:]) / 1e3
            rows.append(
                [f"sciddiff {solver}", f"B={b} d={d}", f"{(med[100] - med[25]) / 75:.0f}", f"{med[25] / 25:.0f}"]
            )
    for name, us in time_step_overhead(num_steps=25).items():
        label, shape = name.rsplit(" B=", 1)
        rows.append([f"{label} scheduler.step", f"B={shape}", f"{us:.0f}", "—"])
    return table(["method", "shape", "µs per step (marginal)", "µs per step (whole call / 25)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="samples per method")
    parser.add_argument("--parts", nargs="*", default=["accuracy", "overhead"], choices=["accuracy", "overhead"])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    torch.set_num_threads(2)
    for part in args.parts:
        started = time.time()
        if part == "accuracy":
            lines, _ = accuracy(args)
            title = "### Solvers: flow-map accuracy against NFE on exact mixtures (VP, beta 0.1 to 20)"
        else:
            lines = [
                *overhead(),
                "",
                "diffusers' figure times `scheduler.step` alone; sciddiff's marginal figure is its "
                "whole loop per extra step (denoiser wrapper, checks and update).",
            ]
            title = "### Solvers: per-step overhead with an identity network (float32, median of 15)"
        body = [
            f"Command: `python scripts/benchmarks/solvers.py --n {args.n} --parts {part} --write`",
            f"(run {time.strftime('%Y-%m-%d')}, {time.time() - started:.0f} s on 2 CPU cores, torch {torch.__version__})",
            "",
            *lines,
            "",
        ]
        text = "\n".join(body)
        print(text)
        if args.write:
            replace_section(ROOT / "BENCHMARKS.md", f"solvers-{part}", title, text)


if __name__ == "__main__":
    main()
