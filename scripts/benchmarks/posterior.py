"""Calibration benchmark: posterior sampling against closed-form mixture posteriors, sciddiff beside anchors.

Problems: Gaussian-mixture priors (a 25-mode grid in d = 8 and 80; random anisotropic 5-component mixtures in
d = 8) with random linear operators of d_y in {1, 2, 4} rows and sorted singular values, and a 4-template
mixture of 32x32 fields with masking, blur and partial-Fourier operators (SVD fast paths); noise std 0.1, so the
posterior is a Gaussian mixture in closed form. Per method and instance, M posterior samples give:
- sliced W2 (256 projections) to M exact posterior samples, divided by the two-sample floor, the mean sliced W2
  between the reference and ``--floor-pairs`` further independent sets of M exact samples (one pair alone makes
  a noisy denominator, and a mean of ratios with noisy denominators is biased upwards);
- mode-weight total variation minus that of M exact samples (modes assigned by posterior responsibility);
- trace of the sample covariance over the exact trace;
- the HPD level of the truth (fraction of samples with higher exact posterior density): 90% coverage is the
  fraction of instances with level < 0.9;
- per sample: network evaluations (NFE), VJPs and operator calls (batched calls times batch over M), and the
  wall time of the whole instance.
The row "exact samples" is one more independent exact set, scored like a method (SW2 / floor about 1).

Sharding: every (problem, method, instance) result is one JSON line. ``--out FILE`` appends records as they
complete and skips keys already in FILE (so a killed run resumes); ``--merge FILE ...`` builds the tables from
any number of such files without running anything. Examples:
  python scripts/benchmarks/posterior.py --families grid:8 --d-y 1 --instances 50 --out /tmp/post/grid1.jsonl
  python scripts/benchmarks/posterior.py --merge /tmp/post/*.jsonl --write
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sciddiff  # noqa: E402
from sciddiff.analytic import ve_denoiser  # noqa: E402
from sciddiff.calibration import mode_weights, sliced_wasserstein, total_variation  # noqa: E402
from sciddiff.processes import VP  # noqa: E402
from scripts.benchmarks.markdown import replace_section  # noqa: E402
from scripts.benchmarks.posterior_problems import NOISE_STD, Instance, field_instance, hpd_level, instance  # noqa: E402
from scripts.benchmarks.posterior_report import report  # noqa: E402

F64 = torch.float64
PROCESS = VP()
METHODS = ["smc", "mmps", "pigdm", "dps", "diffpir", "ddrm", "ddnm", "reddiff", "repaint", "enkg"]
FAMILIES = ["grid:8", "anisotropic:8", "grid:80", "fields:mask", "fields:blur", "fields:fourier"]
EXACT = "exact samples"


@dataclass
class Reference:
    """Exact samples of one instance and the quantities every method is scored against."""

    samples: Tensor  # (M, d) exact posterior samples
    floor: float  # mean two-sample sliced W2 of exact sets of size M
    tv_exact: float  # mode-weight TV of an independent exact set


def settings(families: list[str], d_ys: list[int]) -> Iterator[tuple[str, str, int | None]]:
    """(family, dim or operator kind, d_y or None for fields) for every requested problem."""
    for fam in families:
        family, dim = fam.split(":")
        if family == "fields":
            yield family, dim, None
        else:
            for m in d_ys:
                yield family, dim, m


def problem_name(family: str, dim: str, m: int | None) -> str:
    return f"fields {dim} 32x32" if family == "fields" else f"{family} d={dim} d_y={m}"


def make_instance(family: str, dim: str, m: int | None, index: int) -> Instance:
    return field_instance(dim, index) if family == "fields" else instance(family, int(dim), m, index)


def score(inst: Instance, xs: Tensor, ref: Reference, projections: int) -> dict:
    post = inst.posterior
    xs = xs.reshape(xs.shape[0], -1).to(F64)
    w = mode_weights(xs, post.responsibilities(xs))
    return {
        "sw": sliced_wasserstein(xs, ref.samples, projections) / ref.floor,
        "tv": total_variation(w, post.weights) - ref.tv_exact,
        "trace": float(torch.trace(torch.cov(xs.T))) / float(torch.trace(post.covariance())),
        "level": hpd_level(post, inst.truth, xs),
    }


def reference(inst: Instance, m: int, index: int, pairs: int, projections: int) -> tuple[Reference, Tensor]:
    """The reference set, the floor and the exact-TV baseline, and one more independent exact set."""
    post = inst.posterior
    base = 100 * index
    ref = post.sample(m, generator=base + 1, dtype=F64).reshape(m, -1)
    floor = statistics.mean(
        sliced_wasserstein(ref, post.sample(m, generator=base + 10 + k, dtype=F64).reshape(m, -1), projections)
        for k in range(pairs)
    )
    tv_set = post.sample(m, generator=base + 2, dtype=F64).reshape(m, -1)
    tv_exact = total_variation(mode_weights(tv_set, post.responsibilities(tv_set)), post.weights)
    scored = post.sample(m, generator=base + 3, dtype=F64)
    return Reference(ref, floor, tv_exact), scored


def run_sciddiff(method: str, inst: Instance, m: int, steps: int, seed: int, options: dict) -> tuple[Tensor, dict]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, info = sciddiff.posterior_sample(
            inst.prior.denoiser(PROCESS),
            PROCESS,
            inst.matrix,
            inst.y,
            NOISE_STD,
            method,
            steps=steps,
            n_samples=m,
            generator=seed,
            return_info=True,
            **options,
        )
    per = info.nfe_per_sample / info.cost.nfe if info.cost.nfe else 1.0  # batched calls -> per-sample counts
    cost = {
        "nfe": info.nfe_per_sample,
        "vjp": info.cost.vjp * per,
        "ops": info.cost.operator_calls * per,
        "seconds": time.perf_counter() - start,
    }
    if info.ess is not None:
        cost["min_ess"] = float(info.ess.min())
    return xs, cost


def run_anchor(fn: object, inst: Instance, dense: Tensor, m: int, steps: int, seed: int) -> tuple[Tensor, dict]:
    """An anchor on the dense problem; every anchor call is batched over all M samples."""
    res = fn(ve_denoiser(inst.prior), dense, inst.y.reshape(-1), NOISE_STD, m, steps, seed)  # type: ignore[operator]
    return res.samples, {"nfe": res.nfe, "vjp": res.vjps, "ops": None, "seconds": res.seconds}


def anchor_skip(name: str, family: str, max_dim: int, dim: int) -> str | None:
    """Why an anchor is not run on a problem (None: it is run)."""
    if dim > max_dim:
        return (
            f"{name} not run at d = {dim}: the anchors take the operator as a dense matrix (--max-anchor-dim {max_dim})"
        )
    return None


def load_records(paths: list[Path]) -> dict[tuple, dict]:
    """Records by (problem, method, index); later files and lines override earlier ones."""
    out: dict[tuple, dict] = {}
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                out[(r["problem"], r["method"], r["index"])] = r
    return out


def method_config(spec: str, steps: int) -> tuple[str, int, dict]:
    """(label, steps, options) of a ``--methods`` entry: a name, or ``name:key=int,...`` for a variant with
    integer options, labelled ``name key=value ...`` (e.g. ``smc:n_particles=8000``)."""
    name, _, opts = spec.partition(":")
    options = {k: int(v) for k, v in (kv.split("=") for kv in opts.split(",") if kv)}
    return " ".join([name, *(f"{k}={v}" for k, v in options.items())]), steps, options


def sweep_configs(args: argparse.Namespace) -> list[tuple[str, int, dict]]:
    """(label, steps, options) of the SMC steps x particles sweep."""
    return [
        (f"smc steps={s} particles={p}", s, {"n_particles": p})
        for s in args.sweep_steps
        for p in args.sweep_particles
        if (s + 1) * p / args.samples <= args.max_nfe
    ]


def run(args: argparse.Namespace, records: dict[tuple, dict]) -> None:
    anchor_fns = {} if args.no_anchors else anchors(args.anchors)
    plain = [method_config(spec, args.steps) for spec in (METHODS if args.methods is None else args.methods)]
    configs = sweep_configs(args) if args.sweep else plain
    out = open(args.out, "a") if args.out else None  # noqa: SIM115
    started = time.time()
    try:
        for family, dim, m in settings(args.families, args.d_y):
            name = problem_name(family, dim, m)
            n_inst = {"fields": args.instances_fields, "80": args.instances_80}.get(
                family if family == "fields" else dim, args.instances
            )
            for i in range(args.start, args.start + n_inst):
                todo = [c for c in configs if (name, c[0], i) not in records]
                todo_anchors = [a for a in anchor_fns if (name, a, i) not in records]
                if not todo and not todo_anchors and (args.sweep or (name, EXACT, i) in records):
                    continue
                inst = make_instance(family, dim, m, i)
                ref, exact = reference(inst, args.samples, i, args.floor_pairs, args.projections)
                new = []
                if not args.sweep and (name, EXACT, i) not in records:
                    new.append(
                        {**score(inst, exact, ref, args.projections), "nfe": 0, "vjp": 0, "ops": 0}
                        | {
                            "method": EXACT,
                            "seconds": 0.0,
                        }
                    )
                for label, steps, options in todo:
                    method = label.split()[0]
                    xs, cost = run_sciddiff(method, inst, args.samples, steps, 1000 + i, options)
                    new.append({**score(inst, xs, ref, args.projections), **cost, "method": label})
                dense = None
                for label in todo_anchors:
                    skip = anchor_skip(label, family, args.max_anchor_dim, inst.prior.dim)
                    if skip:
                        new.append({"method": label, "skipped": skip})
                        continue
                    if dense is None:
                        dense = inst.matrix if isinstance(inst.matrix, Tensor) else inst.matrix.dense()
                    xs, cost = run_anchor(anchor_fns[label], inst, dense, args.samples, args.steps, 1000 + i)
                    new.append({**score(inst, xs, ref, args.projections), **cost, "method": label})
                for r in new:
                    r.update(problem=name, index=i, floor=ref.floor, steps=args.steps)
                    records[(name, r["method"], i)] = r
                    if out:
                        out.write(json.dumps(r) + "\n")
                if out:
                    out.flush()
                print(f"[posterior] {name} instance {i} done ({time.time() - started:.0f} s)", flush=True)
    finally:
        if out:
            out.close()


def anchors(names: list[str] | None) -> dict:
    try:
        from scripts.benchmarks.posterior_anchors import available_posterior_anchors
    except ImportError as err:
        print(f"[posterior] no anchors: {err}")
        return {}
    found = available_posterior_anchors()
    return found if names is None else {n: found[n] for n in names if n in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="*", default=FAMILIES)
    parser.add_argument("--d-y", nargs="*", type=int, default=[1, 2, 4], help="operator rows (not for fields)")
    parser.add_argument("--instances", type=int, default=200, help="instances per d=8 problem")
    parser.add_argument("--instances-80", type=int, default=10, help="instances per d=80 problem")
    parser.add_argument("--instances-fields", type=int, default=3, help="instances per 32x32 field problem")
    parser.add_argument("--start", type=int, default=0, help="first instance index (to shard instances)")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--projections", type=int, default=256)
    parser.add_argument("--floor-pairs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument(
        "--methods",
        nargs="*",
        default=None,
        help=f"sciddiff methods (default: {METHODS}); name:key=int for a variant, e.g. smc:n_particles=8000",
    )
    parser.add_argument("--anchors", nargs="*", default=None, help="anchor names (default: all that import)")
    parser.add_argument("--no-anchors", action="store_true")
    parser.add_argument("--max-anchor-dim", type=int, default=80, help="skip anchors above this dimension")
    parser.add_argument("--sweep", action="store_true", help="run the SMC steps x particles sweep instead")
    parser.add_argument("--sweep-steps", nargs="*", type=int, default=[25, 50, 100, 200, 400])
    parser.add_argument("--sweep-particles", nargs="*", type=int, default=[500, 2000, 8000])
    parser.add_argument("--max-nfe", type=float, default=2000, help="sweep: skip settings above this NFE/sample")
    parser.add_argument("--out", type=Path, default=None, help="append JSON-lines records here (and resume)")
    parser.add_argument("--merge", nargs="*", type=Path, default=None, help="only build tables from these files")
    parser.add_argument("--command", default=None, help="--merge: the command(s) that produced the records")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--section", default="posterior", help="BENCHMARKS.md section key to write")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.time()
    if args.merge is not None:
        records = load_records(args.merge)
    else:
        records = load_records([args.out]) if args.out else {}
        run(args, records)
    command = args.command or f"python scripts/benchmarks/posterior.py {' '.join(sys.argv[1:])}"
    text = report(
        list(records.values()), command, time.time() - started, torch.__version__, args.samples, args.projections
    )
    print(text)
    if args.write:
        replace_section(ROOT / "BENCHMARKS.md", args.section, "### Posterior sampling: calibration benchmark", text)


if __name__ == "__main__":
    main()
