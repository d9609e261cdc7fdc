"""Exact resume: a run killed with SIGKILL mid-epoch and resumed from its last checkpoint continues the loss
curve of an uninterrupted run to 1e-6 (data order, diffusion noise and dropout all come back)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sciddiff.train.callbacks import read_metrics

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import os, signal, sys, json
import lightning as L
sys.path.insert(0, {tests!r})
from train_setup import train_config
from sciddiff.train import fit

class KillAt(L.Callback):
    def on_train_batch_end(self, trainer, module, *args):
        if trainer.global_step == {kill}:
            os.kill(os.getpid(), signal.SIGKILL)

overrides = json.loads(sys.argv[2])
fit(train_config(*overrides), sys.argv[1], extra_callbacks=[KillAt()] if {kill} > 0 else [])
"""

# 300 training rows at batch 64: 4 batches per epoch (drop_last); checkpoints every 3 steps; dropout on.
OVERRIDES = [
    "domain.options.n=375",
    "trainer.max_steps=14",
    "trainer.val_check_interval=7",
    "checkpoint.every_n_steps=3",
    "+model.kwargs.dropout=0.2",
    "model.target=eps",
]


def _run(run_dir: Path, kill: int, resume: bool = False) -> int:
    code = SCRIPT.format(tests=str(ROOT / "tests"), kill=kill)
    args = [*OVERRIDES, *(["resume=true"] if resume else [])]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code, str(run_dir), json.dumps(args)], env=env, cwd=ROOT).returncode


def test_sigkill_mid_epoch_then_resume_continues_the_same_loss_curve(tmp_path: Path) -> None:
    assert _run(tmp_path / "straight", kill=0) == 0
    assert _run(tmp_path / "killed", kill=10) == -9  # killed by SIGKILL after step 10, mid epoch 2
    ckpt_step = json.loads(json.dumps(_last_step(tmp_path / "killed")))
    assert ckpt_step == 9  # the last checkpoint, taken mid-epoch (step 9 = epoch 2, batch 1)
    assert _run(tmp_path / "killed", kill=0, resume=True) == 0
    straight = {r["step"]: r["loss"] for r in read_metrics(tmp_path / "straight" / "metrics.jsonl") if "loss" in r}
    resumed = {r["step"]: r["loss"] for r in read_metrics(tmp_path / "killed" / "metrics.jsonl") if "loss" in r}
    assert sorted(straight) == sorted(resumed) == list(range(1, 15))
    for step in straight:
        assert abs(straight[step] - resumed[step]) <= 1e-6, (step, straight[step], resumed[step])
    log = (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines()
    assert (
        sum('"step": 10,' in line and '"loss"' in line for line in log) == 2
    )  # nothing lost: both runs logged step 10


def _last_step(run_dir: Path) -> int:
    import torch

    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]
