"""Distributed training and sampling on 2 CPU processes (gloo): replicas stay identical while each rank sees its
own shard of the data, and multi-device sampling draws exactly the single-device samples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch
import xarray as xr

from sciddiff.train import EpochSampler

ROOT = Path(__file__).resolve().parents[1]
TINY = [
    "domain.options.n=600",
    "+model.kwargs.hidden=32",
    "+model.kwargs.depth=2",
    "data.batch_size=64",
    "validation.n_samples=16",
    "validation.steps=4",
    "trainer.enable_progress_bar=false",
]


def _app(module: str, *args: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", module, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def test_epoch_sampler_shards_are_disjoint_cover_and_reshuffle() -> None:
    shards = [EpochSampler(10, seed=3, rank=r, world_size=3) for r in range(3)]
    orders = [s.order(0) for s in shards]
    assert all(len(o) == 4 for o in orders)  # 12 = 10 padded by wrap-around
    flat = [i for o in orders for i in o]
    assert sorted(set(flat)) == list(range(10)) and len(flat) == 12
    assert shards[0].order(0) != shards[0].order(1)
    one = EpochSampler(10, seed=3)
    assert sorted(one.order(5)) == list(range(10)) and one.order(5) == EpochSampler(10, seed=3).order(5)


def test_ddp_on_two_cpu_processes_keeps_replicas_identical_and_sampling_matches_one_device(tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    _app(
        "sciddiff.train.apps.train",
        f"hydra.run.dir={run}",
        "trainer=ddp_cpu",
        "replica_check_every=2",
        "trainer.max_steps=6",
        "trainer.val_check_interval=6",
        "checkpoint.every_n_steps=3",
        *TINY,
    )
    rows = [json.loads(line) for line in (run / "replicas.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4, 6, 6]
    for r in rows:
        (a, b) = r["checksums"]
        assert a == b  # bitwise-identical weights on both ranks (each trained on its own data shard)
    assert rows[0]["checksums"][0] != rows[-1]["checksums"][0]  # and the weights did change
    ckpt = run / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=True)["global_step"] == 6
    common = [f"checkpoint={ckpt}", "n_samples=10", "solver.steps=5", "chunk_size=3"]
    _app("sciddiff.train.apps.sample", f"hydra.run.dir={tmp_path / 'one'}", *common)
    _app(
        "sciddiff.train.apps.sample",
        f"hydra.run.dir={tmp_path / 'two'}",
        *common,
        "+trainer={accelerator: cpu, devices: 2, strategy: ddp}",
    )
    one = xr.open_dataset(tmp_path / "one" / "samples.nc")["x"].values
    two = xr.open_dataset(tmp_path / "two" / "samples.nc")["x"].values
    assert one.shape == two.shape == (10, 2)
    assert abs(one - two).max() < 1e-6
