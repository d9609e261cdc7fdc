"""Calibration benchmark: posterior sampling against closed-form mixture posteriors, sciddiff beside anchors.

Problems: Gaussian-mixture priors (a 25-mode grid in d = 8 and 80; random anisotropic 5-component mixtures in
d = 8) with random linear operators of d_y in {1, 2, 4} rows and sorted singular values, and a 4-template
mixture of 32x32 fields with masking, blur and partial-Fourier operators (SVD fast paths); noise std 0.1, so the
posterior is a Gaussian mixture in closed form. Per method and instance, M posterior samples give:
- sliced W2 (256 projections) to M exact posterior samples, divided by the two-sample floor;
- mode-weight total variation minus that of M exact samples (modes assigned by posterior responsibility);
- trace of the sample covariance over the exact trace;
- the HPD level of the truth (fraction of samples with higher exact posterior density): 90% coverage is the
  fraction of instances with level < 0.9;
- NFE per sample, VJPs, operator calls (batched) and wall time.

Run: python scripts/benchmarks/posterior.py [--instances 200] [--samples 2000] [--steps 100] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sciddiff  # noqa: E402
from sciddiff.analytic import ve_denoiser  # noqa: E402
from sciddiff.calibration import mode_weights, sliced_wasserstein, total_variation  # noqa: E402
from sciddiff.processes import VP  # noqa: E402
from scripts.benchmarks.markdown import replace_section, table  # noqa: E402
from scripts.benchmarks.posterior_problems import NOISE_STD, digits, field_instance, hpd_level, instance  # noqa: E402

F64 = torch.float64
PROCESS = VP()
METHODS = ["mmps", "smc", "pigdm", "dps", "diffpir", "ddrm", "ddnm", "reddiff", "repaint", "enkg"]


def anchors() -> dict:
    try:
        from scripts.benchmarks.posterior_anchors import available_posterior_anchors
    except ImportError as err:
        print(f"[posterior] no anchors: {err}")
        return {}
    return available_posterior_anchors()


def run_method(name: str, inst: object, m: int, steps: int, seed: int, anchor_fns: dict) -> dict:
    start = time.perf_counter()
    if name in anchor_fns:
        dense = inst.matrix if isinstance(inst.matrix, torch.Tensor) else inst.matrix.dense()
        res = anchor_fns[name](ve_denoiser(inst.prior), dense, inst.y.reshape(-1), NOISE_STD, m, steps, seed)
        return {
            "samples": res.samples,
            "nfe": res.nfe / m if res.nfe > m else res.nfe,
            "vjp": res.vjps,
            "ops": -1,
            "seconds": res.seconds,
        }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, info = sciddiff.posterior_sample(
            inst.prior.denoiser(PROCESS),
            PROCESS,
            inst.matrix,
            inst.y,
            NOISE_STD,
            name,
            steps=steps,
            n_samples=m,
            generator=seed,
            return_info=True,
        )
    per_sample = info.cost.nfe  # every sample sees each batched evaluation once
    return {
        "samples": xs,
        "nfe": per_sample,
        "vjp": info.cost.vjp,
        "ops": info.cost.operator_calls,
        "seconds": time.perf_counter() - start,
    }


def metrics(inst: object, xs: torch.Tensor, exact_a: torch.Tensor, floor: float, tv_exact: float) -> dict:
    post = inst.posterior
    xs = xs.reshape(xs.shape[0], -1)
    w = mode_weights(xs, post.responsibilities(xs))
    return {
        "sw": sliced_wasserstein(xs, exact_a) / floor,
        "tv": total_variation(w, post.weights) - tv_exact,
        "trace": float(torch.trace(torch.cov(xs.T))) / float(torch.trace(post.covariance())),
        "level": hpd_level(post, inst.truth, xs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=200, help="instances per d=8 problem")
    parser.add_argument("--instances-80", type=int, default=10, help="instances per d=80 problem")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument(
        "--families",
        nargs="*",
        default=["grid:8", "anisotropic:8", "grid:80", "fields:mask", "fields:blur", "fields:fourier"],
    )
    parser.add_argument("--instances-fields", type=int, default=3, help="instances per 32x32 field problem")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--section", default="posterior", help="BENCHMARKS.md section key to write")
    parser.add_argument("--no-anchors", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    anchor_fns = {} if args.no_anchors else anchors()
    names = args.methods or (METHODS + sorted(anchor_fns))
    started = time.time()
    acc: dict = defaultdict(lambda: defaultdict(list))
    for fam in args.families:
        family, dim = fam.split(":")
        fields = family == "fields"
        n_inst = args.instances_fields if fields else (args.instances if int(dim) <= 8 else args.instances_80)
        for m in (None,) if fields else (1, 2, 4):
            key = (family, dim, m)
            for i in range(n_inst):
                inst = field_instance(dim, i) if fields else instance(family, int(dim), m, i)
                exact_a = inst.posterior.sample(args.samples, generator=10 * i + 1, dtype=F64)
                exact_b = inst.posterior.sample(args.samples, generator=10 * i + 2, dtype=F64)
                floor = sliced_wasserstein(exact_a, exact_b)
                w_b = mode_weights(exact_b, inst.posterior.responsibilities(exact_b))
                tv_exact = total_variation(w_b, inst.posterior.weights)
                acc[key]["exact samples"].append(
                    {**metrics(inst, exact_b, exact_a, floor, tv_exact), "nfe": 0, "vjp": 0, "ops": 0, "seconds": 0.0}
                )
                for name in names:
                    r = run_method(name, inst, args.samples, args.steps, 100 + i, anchor_fns)
                    acc[key][name].append(
                        {**metrics(inst, r["samples"], exact_a, floor, tv_exact), **r, "samples": None}
                    )
            print(
                f"[posterior] {family} d={dim} d_y={m}: {n_inst} instances done ({time.time() - started:.0f} s)",
                flush=True,
            )
    rows = []
    for (family, dim, m), per in acc.items():
        for name, runs in per.items():
            levels = torch.tensor([r["level"] for r in runs])
            rows.append(
                [
                    f"{family} d={dim} d_y={m}",
                    name,
                    len(runs),
                    digits(statistics.mean(r["sw"] for r in runs)),
                    f"{statistics.mean(r['tv'] for r in runs):+.3f}",
                    digits(statistics.mean(r["trace"] for r in runs)),
                    f"{100 * float((levels < 0.9).double().mean()):.0f}%",
                    f"{statistics.mean(r['nfe'] for r in runs):.0f}",
                    f"{statistics.mean(r['vjp'] for r in runs):.0f}",
                    f"{statistics.mean(r['ops'] for r in runs):.0f}",
                    f"{statistics.mean(r['seconds'] for r in runs):.2f}",
                ]
            )
    lines = table(
        [
            "problem",
            "method",
            "instances",
            "SW2 / floor",
            "mode TV - exact",
            "trace ratio",
            "90% HPD coverage",
            "NFE/sample",
            "VJPs",
            "operator calls",
            "seconds",
        ],
        rows,
    )
    body = [
        f"Command: `python scripts/benchmarks/posterior.py {' '.join(sys.argv[1:])}`",
        f"(run {time.strftime('%Y-%m-%d')}, {time.time() - started:.0f} s, 1 thread, torch {torch.__version__})",
        "",
        *lines,
        "",
    ]
    text = "\n".join(body)
    print(text)
    if args.write:
        title = f"### Posterior sampling ({args.section})"
        replace_section(ROOT / "BENCHMARKS.md", args.section, title, text)


if __name__ == "__main__":
    main()
