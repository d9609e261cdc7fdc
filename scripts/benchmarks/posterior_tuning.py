"""Held-out problems for choosing the SMC defaults, never the benchmark's instances.

The calibration benchmark (posterior.py) must not tune defaults on its own instances. This script builds
problems of the same kinds from other seeds (base 9e6; the benchmark uses 1e6 to 3e6) and from other mixture
constructions (a 25-mode grid with spacing 1.5 and variance 0.05, 3- and 8-component anisotropic mixtures,
noise std 0.05 and 0.2), and reports per configuration of SMC options, with many particles so that the
kernel's bias shows above the Monte Carlo error:
- the relative Frobenius error of the sample covariance and the error of the sample mean (in units of the
  posterior's root trace), against the exact posterior mixture;
- mode-weight total variation against the exact weights;
- SW2 to exact samples of the same size, over the mean two-sample floor.

Run: python scripts/benchmarks/posterior_tuning.py --configs kernel=ddpm kernel=diagonal kernel=full
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sciddiff  # noqa: E402
from sciddiff.analytic import grid_mixture, random_mixture, random_operator  # noqa: E402
from sciddiff.calibration import mode_weights, sliced_wasserstein, total_variation  # noqa: E402
from sciddiff.processes import VP  # noqa: E402
from scripts.benchmarks.markdown import table  # noqa: E402
from scripts.benchmarks.posterior_problems import Instance  # noqa: E402

F64 = torch.float64
PROCESS = VP()
FAMILIES = {
    "grid": lambda d, s: grid_mixture(d, seed=s),
    "grid-tight": lambda d, s: grid_mixture(d, spacing=1.5, variance=0.05, seed=s),
    "anisotropic": lambda d, s: random_mixture(d, 5, seed=s),
    "anisotropic-3": lambda d, s: random_mixture(d, 3, seed=s),
    "anisotropic-8": lambda d, s: random_mixture(d, 8, seed=s),
}


def held_out(family: str, dim: int, m: int, index: int, noise_std: float) -> Instance:
    """A problem like the benchmark's, from seeds the benchmark never uses."""
    seed = 9_000_000 + 100_000 * list(FAMILIES).index(family) + 10_000 * dim + 100 * m + index
    prior = FAMILIES[family](dim, seed)
    a = random_operator(m, dim, seed + 7)
    truth = prior.sample(1, generator=seed + 11, dtype=F64)[0]
    y = a @ truth + noise_std * torch.randn(m, generator=torch.Generator().manual_seed(seed + 13), dtype=F64)
    return Instance(prior, a, truth, y, prior.posterior(a, y, noise_std**2))


def parse(config: str) -> dict:
    """'kernel=full,steps=200' -> {'kernel': 'full', 'steps': 200}."""
    out: dict = {}
    for part in filter(None, config.split(",")):
        key, value = part.split("=")
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


def evaluate(inst: Instance, noise_std: float, n: int, seed: int, options: dict) -> dict:
    """Bias diagnostics of one SMC run of n particles (= samples); ``options`` may hold ``steps``."""
    post = inst.posterior
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs = sciddiff.posterior_sample(
            inst.prior.denoiser(PROCESS), PROCESS, inst.matrix, inst.y, noise_std, "smc",
            n_samples=n, generator=seed, **options,
        )  # fmt: skip
    seconds = time.perf_counter() - start
    cov, mean = post.covariance(), post.mean()
    ref = post.sample(n, generator=seed + 1, dtype=F64)
    floor = statistics.mean(
        sliced_wasserstein(ref, post.sample(n, generator=seed + 2 + k, dtype=F64)) for k in range(4)
    )
    return {
        "cov": float((torch.cov(xs.T) - cov).norm() / cov.norm()),
        "mean": float((xs.mean(0) - mean).norm() / cov.trace().sqrt()),
        "tv": total_variation(mode_weights(xs, post.responsibilities(xs)), post.weights),
        "sw": sliced_wasserstein(xs, ref) / floor,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="*", default=["grid", "anisotropic"], choices=list(FAMILIES))
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--d-y", nargs="*", type=int, default=[1, 4])
    parser.add_argument("--noise-std", nargs="*", type=float, default=[0.1])
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--particles", type=int, default=8000, help="n_samples = n_particles")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--configs", nargs="*", default=["kernel=ddpm", "kernel=diagonal", "kernel=full"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    configs = [(c, parse(c)) for c in args.configs]
    results: dict[tuple, list[dict]] = {}
    for family in args.families:
        for noise_std in args.noise_std:
            for m in args.d_y:
                for i in range(args.instances):
                    inst = held_out(family, args.dim, m, i, noise_std)
                    for label, opts in configs:
                        r = evaluate(inst, noise_std, args.particles, 50 + i, {"steps": args.steps, **opts})
                        results.setdefault((family, noise_std, label), []).append(r)
                        print(f"[tuning] {family} sy={noise_std} m={m} i={i} {label}: {r}", flush=True)
    rows = []
    for (family, noise_std, label), runs in results.items():
        rows.append(
            [family, noise_std, label, len(runs)]
            + [f"{statistics.mean(r[k] for r in runs):.3f}" for k in ("cov", "mean", "tv", "sw", "seconds")]
        )
    head = ["family", "noise std", "config", "instances", "cov rel. error", "mean error", "mode TV", "SW2/floor"]
    print("\n".join(table([*head, "seconds"], rows)))


if __name__ == "__main__":
    main()
