"""``sciddiff-solve``: posterior sampling for y = A(x) + noise with a trained prior (Hydra app; ``configs/solve.yaml``).

The operator acts in physical units on decoded data. Observations are simulated from held-out test data
(``observation.source=test``) or from truths drawn from the model itself (``observation.source=model``, for exact
simulation-based calibration of the posterior sampler), or read from a netCDF file with a variable ``observation``
(or ``y``) shaped (obs, *out_shape) (``observation.source=file``). Writes ``posterior.nc`` with the samples, their
mean, standard deviation and quantiles (and the truth, and the observations as ``observation``), a figure per
observation and a summary; with known truths also ``calibration.nc``, ``sbc.png`` and ``coverage.png`` (SBC ranks,
TARP coverage, posterior-predictive chi-square). ``project=true`` first maps each decoded sample onto the data's
exact constraints (``adapter.project``; for Darcy fields, u re-solved from the thresholded a).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
import torch
import xarray as xr
from omegaconf import DictConfig
from torch import Tensor
from tqdm.auto import tqdm

import sciddiff
from sciddiff.guidance.posterior import get_method
from sciddiff.state import derive_seed
from sciddiff.train.apps.common import provenance, require_generic_states, run_app
from sciddiff.train.build import plain
from sciddiff.train.calibration_report import calibration_report
from sciddiff.train.checkpoint import TrainedModel, load_trained
from sciddiff.train.figures import plot_posterior
from sciddiff.train.inference import prior_state
from sciddiff.train.outputs import interval_coverage, posterior_dataset, standardized_error, write_netcdf
from sciddiff.train.problems import build_operator, state_problem


def observations(model: TrainedModel, cfg: dict, op: Any) -> tuple[Tensor, Tensor | None]:
    """(y for each observation, decoded truths or None) as the config's ``observation`` says."""
    obs = cfg["observation"]
    if obs["source"] == "file":
        ds = xr.open_dataset(obs["file"])
        name = next((v for v in ("observation", "y") if v in ds.data_vars), None)
        if name is None:
            raise ValueError(
                f"{obs['file']} holds no variable 'observation' or 'y'; its variables: {list(ds.data_vars)}"
            )
        return torch.as_tensor(ds[name].values, dtype=torch.float64), None
    n = int(obs["n"])
    if obs["source"] == "model":  # truths from the model's own prior: exact simulation-based calibration
        truth = model.adapter.decode(model.sample(n, seed=derive_seed(int(cfg["seed"]), -1))).double()
    elif obs["source"] == "test":
        splits = model.adapter.datasets(int(model.record["seed"]))
        data = splits.get("test", splits["val"])
        if n > len(data):
            raise ValueError(f"observation.n = {n} exceeds the {len(data)} held-out items")
        truth = model.adapter.decode(torch.stack([data[i]["x"] for i in range(n)])).double()
    else:
        raise ValueError(f"observation.source must be 'test', 'model' or 'file', got {obs['source']!r}")
    g = torch.Generator().manual_seed(int(cfg["seed"]))
    clean = op.forward(truth)
    return clean + float(cfg["noise_std"]) * torch.randn(clean.shape, generator=g, dtype=clean.dtype), truth


def run(cfg: Any, out_dir: Path, model: TrainedModel | None = None) -> dict[str, Any]:
    """The app's work for a config (``model`` replaces loading ``cfg.checkpoint``, e.g. for an exact oracle)."""
    cfg = plain(cfg)
    model = model or load_trained(cfg["checkpoint"], ema=bool(cfg.get("ema", True)))
    require_generic_states(model, "sciddiff-solve", "solve inverse problems (e.g. scaffold completion)")
    adapter, guide = model.adapter, cfg["guidance"]
    spec = adapter.state_spec()
    raw_shape = tuple(adapter.decode(prior_state(model.process, spec, [0])).shape[1:])
    op = adapter.operator(cfg["operator"], raw_shape) or build_operator(cfg["operator"], raw_shape)
    ys, truth = observations(model, cfg, op)
    method = get_method(guide["method"], **dict(guide.get("options") or {}))
    samples, costs = [], []
    for j, y in enumerate(tqdm(ys, desc="posterior", disable=len(ys) < 2, leave=False)):
        op_j, y_j = adapter.observation(op, y)
        a_state, y_state = state_problem(adapter, op_j, y_j, needs_svd=method.requirements.operator == "svd")
        xs, info = sciddiff.posterior_sample(
            model.denoiser,
            model.process,
            a_state,
            y_state.to(torch.float32),
            float(cfg["noise_std"]),
            method,
            steps=int(guide["steps"]),
            n_samples=int(cfg["n_samples"]),
            generator=derive_seed(int(cfg["seed"]), j),
            return_info=True,
        )
        raw = adapter.decode(xs)
        samples.append(adapter.project(raw) if cfg.get("project", False) else raw)
        costs.append(info.cost.as_dict())
    attrs = provenance(
        model,
        method=guide["method"],
        steps=int(guide["steps"]),
        operator=repr(op),
        noise_std=cfg["noise_std"],
        seed=int(cfg["seed"]),
        n_samples=int(cfg["n_samples"]),
        projected=int(bool(cfg.get("project", False))),
    )
    ds = posterior_dataset(adapter, samples, attrs, truth=truth)
    ds["observation"] = (("obs", *(f"observation_dim{i}" for i in range(ys.dim() - 1))), ys.numpy())
    files = [write_netcdf(ds, out_dir / "posterior.nc")]
    summary: dict[str, Any] = {"method": guide["method"], "cost_per_observation": costs[0]}
    if truth is not None:
        z = torch.cat([standardized_error(s, t).reshape(-1) for s, t in zip(samples, truth, strict=True)])
        summary["coverage_90"] = sum(interval_coverage(s, t) for s, t in zip(samples, truth, strict=True)) / len(truth)
        summary["standardized_error_std"] = float(z.std())
        summary.update(adapter.posterior_metrics(torch.stack([s.mean(0) for s in samples]), truth))
        summary["rmse_of_mean"] = float(
            torch.stack([(s.mean(0) - t).pow(2).mean() for s, t in zip(samples, truth, strict=True)]).mean().sqrt()
        )
        if len(truth) >= 2:
            summary.update(calibration_report(op, ys, truth, samples, float(cfg["noise_std"]), out_dir, attrs))
            files += [out_dir / "calibration.nc", out_dir / "sbc.png", out_dir / "coverage.png"]
    for j, s in enumerate(samples[: int(cfg.get("figures", 4))]):
        path, truth_j = out_dir / f"posterior-{j}.png", None if truth is None else truth[j]
        figure = adapter.plot_posterior(s, path, truth_j, op, ys[j])
        files.append(figure or plot_posterior(s.mean(0), s.std(0), path, truth_j))
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    files.append(out_dir / "summary.json")
    return {"summary": summary, "files": files, "samples": samples, "truth": truth, "observations": ys}


@hydra.main(config_path="pkg://sciddiff.configs", config_name="solve", version_base="1.3")
def main(cfg: DictConfig) -> None:
    out = run_app("sciddiff-solve", run, cfg)
    print(json.dumps(out["summary"], indent=2))
    print("wrote " + ", ".join(str(f) for f in out["files"]))


if __name__ == "__main__":
    main()
