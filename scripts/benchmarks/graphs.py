"""Graphs and molecules benchmark: QM9 2-D (validity / uniqueness / novelty), QM9 3-D with hydrogens (atom and
molecule stability, the checker also run on real QM9 molecules), SBM and planar graphs (MMDs and validity, with
DiGress's published numbers beside them) and logP-conditional generation (MAE to the target, guided against
unconditional), each trained with ``graphs_train.train_task`` (time-capped, resumable).

    python scripts/benchmarks/graphs.py --runs /tmp/graphs_bench              # train (or reuse) and evaluate
    python scripts/benchmarks/graphs.py --runs /tmp/graphs_bench --write      # ... and update BENCHMARKS.md
    python scripts/benchmarks/graphs.py --runs /tmp/graphs_bench --report --write   # only re-render saved parts
    python scripts/benchmarks/graphs.py --runs /tmp/smoke --steps 5 --samples 8 --minutes 1   # smoke test
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sciddiff.domains.graphs.app import fitted_splits, property_scores, score  # noqa: E402
from sciddiff.domains.graphs.metrics import dataset_stability  # noqa: E402
from sciddiff.domains.graphs.tasks import conditional, default_solver, unconditional  # noqa: E402

from scripts.benchmarks.graphs_train import train_task  # noqa: E402
from scripts.benchmarks.markdown import replace_section, table  # noqa: E402

# Published references (for context, not run here). EDM: Hoogeboom et al. 2022 (arXiv:2203.17003), Table 1 (QM9
# with hydrogens; its row for the data itself is 99.0 / 95.2). DiGress: Vignac et al. 2023 (arXiv:2209.14734):
# QM9 heavy atoms validity / uniqueness 99.0 / 96.2; SBM and planar MMD^2 of degree and clustering and the fraction
# of valid, unique and novel graphs (V.U.N.), transcribed from its SPECTRE-benchmark table.
PARTS = ("qm9_2d", "qm9_3d", "sbm", "planar", "conditional")
EDM = {"model": (98.7, 82.0), "data": (99.0, 95.2)}
DIGRESS_QM9 = (99.0, 96.2)
DIGRESS_GRAPHS = {
    "sbm": {"degree": 0.0013, "clustering": 0.0498, "vun": 74.0},
    "planar": {"degree": 0.0003, "clustering": 0.0372, "vun": 75.0},
}


def _stack(items: Any) -> dict[str, torch.Tensor]:
    return {k: torch.stack([items[i]["x"][k] for i in range(len(items))]) for k in items[0]["x"]}


def _sampler(model: Any, steps: int | None) -> tuple[str, int]:
    name, default = default_solver(model)
    return name, steps or default


def molecules_part(task: str, args: argparse.Namespace) -> dict[str, Any]:
    """Unconditional molecules: the adapter's metrics (novelty against the whole training split)."""
    model, info = train_task(task, args.runs, args.minutes_for(task), args.steps)
    solver, steps = _sampler(model, args.sample_steps)
    start = time.perf_counter()
    graphs = unconditional(model, args.samples, solver, steps, seed=1, chunk_size=args.chunk)
    out = {"train": info, "solver": f"{solver} x{steps}", "sample_seconds": time.perf_counter() - start}
    out["metrics"] = score(model, graphs, "test")
    if model.adapter.layout.positions:
        test = fitted_splits(model)["test"]
        real = model.adapter.decode(_stack(test))[: args.real]
        stab = dataset_stability(real, atom_vocab=model.adapter.layout.node_vocab)
        out["real"] = {
            "n": len(real),
            "atom_stability": stab.atom_stability,
            "molecule_stability": stab.molecule_stability,
        }
    return out


def graphs_part(task: str, args: argparse.Namespace) -> dict[str, Any]:
    """SBM or planar graphs: MMD^2 against the test split and structural validity."""
    model, info = train_task(task, args.runs, args.minutes_for(task), args.steps)
    solver, steps = _sampler(model, args.sample_steps)
    n = args.graph_samples or len(fitted_splits(model)["test"])
    graphs = unconditional(model, n, solver, steps, seed=1, chunk_size=args.chunk)
    return {"train": info, "solver": f"{solver} x{steps}", "metrics": score(model, graphs, "test")}


def conditional_part(args: argparse.Namespace) -> dict[str, Any]:
    """logP targets at three quantiles of the test split; guided (w) and unconditional (w = 0) samples per target."""
    model, info = train_task("qm9_2d_logp", args.runs, args.minutes_for("qm9_2d_logp"), args.steps)
    solver, steps = _sampler(model, args.sample_steps)
    splits = fitted_splits(model)
    values = model.adapter.cond_mean + model.adapter.cond_std * splits["test"].vector.double()
    targets = [float(v) for v in torch.quantile(values[:, 0], torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))]
    per = max(1, args.samples // len(targets))
    rows = []
    for j, target in enumerate(targets):
        guided = conditional(model, [target], per, solver, steps, args.guidance, seed=10 + j, chunk_size=args.chunk)
        base = conditional(model, [target], per, solver, steps, 0.0, seed=10 + j, chunk_size=args.chunk)
        rows.append({"target": target, "guided": property_scores(model, guided, [target]),
                     "unconditional": property_scores(model, base, [target])})  # fmt: skip
    return {"train": info, "solver": f"{solver} x{steps}", "guidance_scale": args.guidance, "per_target": per,
            "targets": rows}  # fmt: skip


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _mae(rows: list[dict], key: str) -> float | None:
    vals = [(r[key]["property_mae"] or {}).get("logp") for r in rows]
    counts = [r[key].get("n_valid", 0) for r in rows]
    ok = [(v, c) for v, c in zip(vals, counts, strict=True) if v is not None and c]
    return sum(v * c for v, c in ok) / sum(c for _, c in ok) if ok else None


def render(res: dict[str, Any], commands: list[str]) -> str:
    """The markdown section: one table per part, with sample counts, training set sizes and the published rows."""
    lines = ["Regenerate (parts run as separate processes are merged with `--report`): "
             + "; ".join(f"`{c}`" for c in commands), ""]  # fmt: skip
    if "qm9_2d" in res:
        r = res["qm9_2d"]
        m = r["metrics"]
        met = m["validity"] >= 0.95 and m["uniqueness"] >= 0.95
        lines += [f"QM9 heavy atoms (2-D): targets validity >= 95% and uniqueness >= 95%, {_verdict(met)}.", ""]
        lines += table(
            ["model", "samples", "train set", "validity %", "uniqueness %", "novelty %", "steps trained", "sampler"],
            [["sciddiff (graph transformer, masked diffusion)", m["n_samples"], m["n_train"], _pct(m["validity"]),
              _pct(m["uniqueness"]), _pct(m.get("novelty")), r["train"]["steps"], r["solver"]],
             ["DiGress (published, GPU)", "—", "—", DIGRESS_QM9[0], DIGRESS_QM9[1], "—", "—", "—"]],
        )  # fmt: skip
        lines.append("")
    if "qm9_3d" in res:
        r = res["qm9_3d"]
        m, real = r["metrics"], r["real"]
        met = m["atom_stability"] >= 0.9
        lines += [f"QM9 with hydrogens (3-D): target atom stability >= 90%, {_verdict(met)}.", ""]
        lines += table(
            ["model", "molecules", "atom stability %", "molecule stability %", "validity %", "steps trained"],
            [["sciddiff (EGNN, VP + masked)", m["n_samples"], _pct(m["atom_stability"]),
              _pct(m["molecule_stability"]), _pct(m["validity"]), r["train"]["steps"]],
             ["EDM (published)", "—", EDM["model"][0], EDM["model"][1], "—", "—"],
             ["QM9 test molecules, this checker", real["n"], _pct(real["atom_stability"]),
              _pct(real["molecule_stability"]), "—", "—"],
             ["QM9 data, EDM's checker (published)", "—", EDM["data"][0], EDM["data"][1], "—", "—"]],
        )  # fmt: skip
        lines.append("")
    graph_rows = []
    for task in ("sbm", "planar"):
        if task in res:
            m, ref = res[task]["metrics"], DIGRESS_GRAPHS[task]
            graph_rows.append([f"{task}: sciddiff", m["n_samples"], f"{m['degree']:.4f}", f"{m['clustering']:.4f}",
                               f"{m['spectre']:.4f}", _pct(m.get("validity")), res[task]["train"]["steps"]])  # fmt: skip
            label = f"{task}: DiGress (published, transcribed, not re-checked here; V.U.N.)"
            graph_rows.append([label, "—", ref["degree"], ref["clustering"], "—", ref["vun"], "—"])
    if graph_rows:
        lines += ["SBM and planar graphs: MMD^2 against the test split (lower is better).", ""]
        lines += table(["model", "graphs", "degree", "clustering", "spectre", "valid %", "steps trained"], graph_rows)
        lines.append("")
    if "conditional" in res:
        r = res["conditional"]
        g, u = _mae(r["targets"], "guided"), _mae(r["targets"], "unconditional")
        verdict = "met" if g is not None and u is not None and g <= 0.5 * u else "missed"
        lines += [f"logP-conditional QM9 (2-D), guidance scale {r['guidance_scale']}, {r['per_target']} samples per "
                  f"target: target MAE(guided) <= 0.5 MAE(unconditional), {verdict}.", ""]  # fmt: skip
        rows = [[f"{t['target']:.2f}", t["guided"].get("n_valid"), _fmt(_mae([t], "guided")),
                 t["unconditional"].get("n_valid"), _fmt(_mae([t], "unconditional"))] for t in r["targets"]]  # fmt: skip
        rows.append(["all", "", _fmt(g), "", _fmt(u)])
        lines += table(["logP target", "valid (guided)", "MAE guided", "valid (uncond.)", "MAE uncond."], rows)
    missing = [part for part in PARTS if part not in res]
    if missing:
        lines += ["", f"Not run in this record (no numbers): {', '.join(missing)}."]
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "missed"


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=Path, default=Path("/tmp/sciddiff_graphs_bench"), help="run directories")
    p.add_argument("--parts", default=",".join(PARTS))
    p.add_argument("--minutes", type=float, default=55.0, help="training cap per task (minutes)")
    p.add_argument("--steps", type=int, default=None, help="training steps cap (default: the time cap only)")
    p.add_argument("--samples", type=int, default=1000, help="generated molecules per molecule part")
    p.add_argument("--graph-samples", type=int, default=None, help="SBM/planar samples (default: the test split)")
    p.add_argument("--real", type=int, default=2000, help="real QM9 test molecules given to the stability checker")
    p.add_argument("--sample-steps", type=int, default=None, help="sampler steps (default: the config's)")
    p.add_argument("--chunk", type=int, default=250, help="samples per sampling batch")
    p.add_argument("--guidance", type=float, default=2.0, help="classifier-free guidance scale of the logP part")
    p.add_argument("--threads", type=int, default=1, help="torch threads (2 when the part runs alone)")
    p.add_argument("--write", action="store_true", help="write the section into BENCHMARKS.md")
    p.add_argument("--report", action="store_true", help="run nothing; render the parts saved in <runs>/results")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    args.minutes_for = lambda task: args.minutes
    saved = args.runs / "results"
    command = "python " + " ".join(["scripts/benchmarks/graphs.py", *sys.argv[1:]])
    parts = [] if args.report else args.parts.split(",")
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown parts {unknown}; choose from {list(PARTS)}")
    for part in parts:
        if part in ("qm9_2d", "qm9_3d"):
            result = molecules_part(part, args)
        elif part in ("sbm", "planar"):
            result = graphs_part(part, args)
        else:
            result = conditional_part(args)
        result.update(command=command, date=time.strftime("%Y-%m-%d"))
        saved.mkdir(parents=True, exist_ok=True)
        (saved / f"{part}.json").write_text(json.dumps(result, indent=2, default=str))
        print(part, json.dumps(result.get("metrics", result), default=str)[:2000])
    # The section always shows every saved part, so running one part never drops the others from BENCHMARKS.md.
    res = {f.stem: json.loads(f.read_text()) for f in sorted(saved.glob("*.json"))}
    if not res:
        raise SystemExit(f"no saved part results in {saved}")
    commands = sorted({r["command"] for r in res.values()})
    body = render(res, commands)
    print(body)
    if args.write:
        replace_section(
            ROOT / "BENCHMARKS.md", "graphs", "### Graphs and molecules: QM9 2-D/3-D, SBM, planar, logP", body
        )


if __name__ == "__main__":
    main()
