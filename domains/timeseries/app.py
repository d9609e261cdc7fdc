"""The time-series task app: generation, forecasting, imputation, assimilation and long rollouts with a trained
checkpoint, conditional (CSDI) or guided (unconditional prior + masking operator), in one Hydra command.

``python -m sciddiff.domains.timeseries.app checkpoint=<ckpt> task=forecast mask.context=16 n_samples=100``

Windows come from a held-out split of the model's data (the truth is known and the samples are scored) or from a
netCDF series (``observation.file``, NaN = unobserved), checked against the model's variables and coordinates.
Writes ``<task>.nc`` (samples with a ``sample`` dimension, mean, std, quantiles, truth and observations on real
time coordinates), fan charts and ``summary.json`` with the scores.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
import xarray as xr
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from sciddiff.domains.timeseries.figures import plot_fan_chart
from sciddiff.domains.timeseries.items import WindowItems
from sciddiff.domains.timeseries.operators import task_mask
from sciddiff.domains.timeseries.outputs import summary_dataset, task_dataset, task_scores
from sciddiff.domains.timeseries.rollout import model_rollout
from sciddiff.domains.timeseries.tasks import DTYPES, Problem, is_conditional, make_problem, solve

from sciddiff.state import derive_seed
from sciddiff.train import TrainedModel, load_trained
from sciddiff.train.apps.common import provenance
from sciddiff.train.build import plain
from sciddiff.train.outputs import netcdf_attrs, write_netcdf

TASKS = {"generate": None, "forecast": "forecast", "impute": "impute", "block": "block", "assimilate": "sparse"}

CONFIG: dict[str, Any] = {
    "defaults": [{"solver": "dpmpp_2m"}, {"guidance": "mmps"}, "_self_"],
    "checkpoint": "???",
    "ema": True,
    "task": "forecast",  # generate | forecast | impute | block | assimilate | rollout
    "split": "test",  # held-out split whose windows are solved (the truth is known)
    "windows": 8,  # windows solved, evenly spaced over the split
    "n_samples": 100,
    "seed": 0,
    "noise_std": 0.0,  # observation noise std added to the observed values (physical units; one or per variable)
    # task masks: forecast uses context; impute missing, seed, history (first steps all observed); block start,
    # length, channels; assimilate every, phase, channels (null: the task's default)
    "mask": {
        "context": None,
        "missing": 0.5,
        "history": None,
        "seed": 0,
        "start": None,
        "length": None,
        "channels": None,
        "every": 1,
        "phase": 0,
    },
    "observation": {"file": None},  # a netCDF series with NaN where unobserved, instead of held-out windows
    "rollout": {"steps": 1000, "overlap": 8, "members": 4, "noise_std": 0.0},
    "figures": 4,
    "guided_solver": "dpmpp_2m",  # integrates dps/pigdm/mmps/diffpir (methods with their own loop ignore it)
    "dtype": "float32",  # float32 | float64 (exact oracles)
    "hydra": {
        "run": {"dir": "outputs/timeseries/${task}/${now:%Y-%m-%d_%H-%M-%S}"},
        "output_subdir": None,
        "job": {"chdir": False},
    },
}
ConfigStore.instance().store(name="timeseries_task", node=CONFIG)


def noise_per_channel(model: TrainedModel, noise_std: Any) -> torch.Tensor:
    """The observation noise std per channel (C,) from one number or one per variable."""
    layout = model.adapter.layout
    noise = torch.as_tensor(noise_std, dtype=torch.float64).reshape(-1)
    if noise.numel() not in (1, len(layout.variables)) or bool((noise < 0).any()):
        raise ValueError(f"noise_std must be one std >= 0 or one per variable {layout.variables}, got {noise.tolist()}")
    return noise.expand(len(layout.variables))[layout.channel_variable()]


def held_out_windows(model: TrainedModel, split: str, count: int) -> tuple[WindowItems, np.ndarray]:
    """The split's items (with its windows) and ``count`` window indices spread evenly over them."""
    splits = model.adapter.datasets(int(model.record["seed"]))
    if split not in splits:
        raise ValueError(f"split {split!r} is not one of {sorted(splits)}")
    items = splits[split]
    n = len(items.windows)
    return items, np.unique(np.linspace(0, n - 1, min(count, n)).round().astype(int))


def file_windows(model: TrainedModel, path: str, task: str, context: int | None) -> tuple[list[torch.Tensor], list]:
    """Windows of a user's netCDF series: for forecasting, its last ``context`` steps followed by the steps to
    forecast (times extended by the model's time step); otherwise segments covering the series."""
    adapter = model.adapter
    values, time = adapter.read(xr.load_dataset(path), f"the observations in {path}")
    window = adapter.options["window"]
    n_time = values.shape[1]
    raws, times = [], []
    if task == "forecast":
        if context is None:
            raise ValueError("the forecast task needs mask.context")
        if context > n_time:
            raise ValueError(f"context of {context} steps is longer than the {n_time} available time steps in {path}")
        if not 0 < context < window:
            raise ValueError(
                f"mask.context must be in [1, {window - 1}] for the model's {window}-step window, got {context}"
            )
        step = (
            np.timedelta64(round(adapter.layout.time_step), "ns")
            if time.dtype.kind == "M"
            else adapter.layout.time_step
        )
        future = time[-1] + step * np.arange(1, window - context + 1)
        for s in range(values.shape[0]):
            raw = np.full((window, values.shape[2]), np.nan)
            raw[:context] = values[s, n_time - context :]
            raws.append(torch.as_tensor(raw.T.copy()))
            times.append(np.concatenate([time[n_time - context :], future]))
        return raws, times
    if n_time < window:
        raise ValueError(f"series has {n_time} time steps; the window needs at least {window}")
    starts = sorted({*range(0, n_time - window + 1, window), n_time - window})
    for s in range(values.shape[0]):
        for t0 in starts:
            raws.append(torch.as_tensor(values[s, t0 : t0 + window].T.copy()))
            times.append(time[t0 : t0 + window])
    return raws, times


def build_problems(model: TrainedModel, cfg: Mapping[str, Any]) -> list[Problem]:
    """One problem per window: the task's mask, the observed values with noise, covariates and static conditions."""
    task, adapter = cfg["task"], model.adapter
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {[*TASKS, 'rollout']}")
    opts = {k: v for k, v in dict(cfg["mask"] or {}).items() if v is not None}
    noise = noise_per_channel(model, cfg["noise_std"])
    if cfg["observation"]["file"]:
        raws, times = file_windows(model, cfg["observation"]["file"], task, opts.get("context"))
        statics: list[dict] = [{} for _ in raws]
        if adapter.static_maps:
            raise ValueError("a model with static covariates needs held-out windows (their covariates are in the data)")
    else:
        items, idx = held_out_windows(model, cfg["split"], int(cfg["windows"]))
        wins = items.windows
        raws, times = [wins.raw(int(j)) for j in idx], [wins.times(int(j)) for j in idx]
        statics = [{k: items.static[k][int(wins.series[j])] for k in items.static} for j in idx]
    problems = []
    for j, (raw, t, static) in enumerate(zip(raws, times, statics, strict=True)):
        shape = tuple(raw.shape)
        if TASKS[task] is None:
            mask = torch.zeros(shape, dtype=torch.bool)
        else:
            mask_opts = {**opts, "seed": derive_seed(int(opts.get("seed", 0)), j)} if task == "impute" else opts
            mask = task_mask(TASKS[task], mask_opts, shape)
        cov = adapter.covariates(np.asarray(t)[None])
        problems.append(
            make_problem(raw, mask, noise, derive_seed(int(cfg["seed"]), j), t, None if cov is None else cov[0], static)
        )
    return problems


def run(cfg: Any, out_dir: Path, model: TrainedModel | None = None) -> dict[str, Any]:
    """The app's work for a config (``model`` replaces loading ``cfg.checkpoint``, e.g. for an exact oracle)."""
    cfg = plain(cfg)
    model = model or load_trained(cfg["checkpoint"], ema=bool(cfg["ema"]))
    if cfg["task"] == "rollout":
        return run_rollout(model, cfg, out_dir)
    problems = build_problems(model, cfg)
    n = int(cfg["n_samples"])
    samples = np.stack(
        [solve(model, p, n, cfg, derive_seed(int(cfg["seed"]), 1000 + j)).numpy() for j, p in enumerate(problems)]
    )
    way = "conditional" if is_conditional(model) else f"guided ({cfg['guidance']['method']})"
    attrs = provenance(model, task=cfg["task"], way=way, n_samples=n, seed=int(cfg["seed"]), mask=str(cfg["mask"]))
    files = [write_netcdf(task_dataset(model.adapter.layout, samples, problems, attrs), out_dir / f"{cfg['task']}.nc")]
    labels = [model.adapter.layout.channel_label(c) for c in range(model.adapter.channels)]
    for j, p in enumerate(problems[: int(cfg["figures"])]):
        title = f"{cfg['task']} ({way}), window {j}"
        files.append(plot_fan_chart(samples[j], out_dir / f"fan-{j}.png", labels, p.truth, p.mask, p.time, title=title))
    summary = {"task": cfg["task"], "way": way, "windows": len(problems), "scores": task_scores(samples, problems)}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return {"summary": summary, "samples": samples, "problems": problems, "files": [*files, out_dir / "summary.json"]}


def run_rollout(model: TrainedModel, cfg: Mapping[str, Any], out_dir: Path) -> dict[str, Any]:
    """Chain windows from the first ``overlap`` steps of the split's first series (or the file's last steps)."""
    opts, adapter = cfg["rollout"], model.adapter
    overlap, members, n_steps = int(opts["overlap"]), int(opts["members"]), int(opts["steps"])
    static: dict[str, torch.Tensor] = {}
    if cfg["observation"]["file"]:
        if adapter.static_maps:
            raise ValueError("a model with static covariates needs held-out windows (their covariates are in the data)")
        values, time = adapter.read(xr.load_dataset(cfg["observation"]["file"]), "the observations")
        if values.shape[1] < overlap:
            raise ValueError(f"context of {overlap} steps is longer than the {values.shape[1]} available time steps")
        start, t0 = torch.as_tensor(values[0, -overlap:].T.copy()), time[-overlap]
    else:
        items = held_out_windows(model, cfg["split"], 1)[0]
        wins = items.windows
        start, t0 = wins.raw(0)[:, :overlap], wins.times(0)[0]
        static = {k: items.static[k][int(wins.series[0])] for k in items.static}
    if not bool(torch.isfinite(start).all()):
        raise ValueError("the rollout's starting overlap has missing values; start from a fully observed stretch")
    step = (
        np.timedelta64(round(adapter.layout.time_step), "ns")
        if np.asarray(t0).dtype.kind == "M"
        else adapter.layout.time_step
    )
    out = model_rollout(
        model,
        start[None].expand(members, *start.shape),
        n_steps,
        overlap,
        cfg,
        int(cfg["seed"]),
        float(opts["noise_std"]),
        DTYPES[cfg["dtype"]],
        time=lambda i: t0 + step * i,
        static=static,
    )
    series = out.series.numpy()
    time = t0 + step * np.arange(n_steps)
    attrs = provenance(model, task="rollout", overlap=overlap, members=members, seed=int(cfg["seed"]))
    attrs["max_overlap_error"] = float(out.overlap_error.max()) if out.overlap_error.numel() else 0.0
    ds = summary_dataset(adapter.layout.dataset(series, ["sample"], time, netcdf_attrs(attrs)))
    files = [write_netcdf(ds, out_dir / "rollout.nc")]
    labels = [adapter.layout.channel_label(c) for c in range(adapter.channels)]
    files.append(plot_fan_chart(series, out_dir / "rollout.png", labels, time=time, title=f"rollout, {n_steps} steps"))
    summary = {
        "task": "rollout",
        "steps": n_steps,
        "windows": int(out.overlap_error.numel()),
        **{
            "max_overlap_error": attrs["max_overlap_error"],
            "finite": bool(np.isfinite(series).all()),
            "max_abs": float(np.abs(series).max()),
        },
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return {"summary": summary, "rollout": out, "files": [*files, out_dir / "summary.json"]}


@hydra.main(config_path="pkg://sciddiff.configs", config_name="timeseries_task", version_base="1.3")
def main(cfg: DictConfig) -> None:
    try:
        out = run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except (ValueError, FileNotFoundError) as err:
        print(f"sciddiff-timeseries: {err}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(out["summary"], indent=2))
    print("wrote " + ", ".join(str(f) for f in out["files"]))


if __name__ == "__main__":
    main()
