"""The README's first example runs as written, and the main-job app writes what it promises."""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch
import xarray as xr
from hydra import compose, initialize_config_module

from sciddiff.train.apps.demo import run

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_runs() -> None:
    text = (ROOT / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["info"].nfe == 10
    assert scope["samples"].shape == (1000, 2) and scope["log_p"].shape == (8,)
    assert torch.isfinite(scope["log_p"]).all()


def test_demo_writes_netcdf_and_figure(tmp_path: Path) -> None:
    with initialize_config_module(config_module="sciddiff.configs", version_base="1.3"):
        cfg = compose("demo", overrides=["n_samples=400", "solvers=[ddim,dpmpp_2m,em]"])
    scores = run(cfg, tmp_path)
    data = xr.open_dataset(tmp_path / "samples.nc")
    assert list(data["solver"].values) == ["ddim", "dpmpp_2m", "em"]
    assert data["samples"].shape == (3, 400, 2) and data.attrs["process"] == "vp"
    assert (tmp_path / "samples.png").stat().st_size > 10_000
    assert scores["dpmpp_2m"]["nfe"] == 10 and 0 < scores["dpmpp_2m"]["flow_map_rms"] < 0.5
    assert math.isnan(scores["em"]["flow_map_rms"])  # no flow map for a stochastic sampler
    assert all(0.5 < s["sliced_w2_over_floor"] < 5 for s in scores.values())
