"""Train a model from a config: the body of ``sciddiff-train`` (also callable from Python and tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint

from sciddiff.train.build import plain
from sciddiff.train.callbacks import MetricsLog, ReplicaCheck, ValidationSamples, read_metrics
from sciddiff.train.checkpoint import AtomicCheckpointIO
from sciddiff.train.data import AdapterData
from sciddiff.train.figures import plot_loss_curve
from sciddiff.train.frequencies import resolve_marginals
from sciddiff.train.module import DiffusionModule, TrainingDiverged
from sciddiff.train.registry import build_adapter
from sciddiff.train.rundir import CHECKPOINTS, is_main_process, mark_run, prepare_run_dir


@dataclass
class FitResult:
    run_dir: Path
    last: Path
    best: Path | None
    metrics: Path
    steps: int


def build_data(cfg: Mapping[str, Any]) -> AdapterData:
    """The adapter a config names, with its datasets built (so its normalisation is fitted), as a data module."""
    domain = cfg["domain"]
    adapter = build_adapter(domain["name"], **dict(domain.get("options") or {}))
    data = AdapterData(
        adapter,
        batch_size=int(cfg["data"]["batch_size"]),
        seed=int(cfg["seed"]),
        num_workers=int(cfg["data"].get("num_workers", 0)),
        size_pool=int(cfg["data"].get("size_pool", 0)),
    )
    data.setup()
    return data


def build_module(cfg: Mapping[str, Any], data: AdapterData) -> DiffusionModule:
    """The LightningModule a config describes (process, model, loss, optimiser, EMA, validation) for the data's
    adapter; ``marginals: auto`` in the process is counted on the training split."""
    adapter = data.adapter
    data.setup()
    return DiffusionModule(
        adapter,
        process=resolve_marginals(cfg["process"], adapter.state_spec(), data.splits["train"]),
        model=cfg["model"],
        loss=cfg["loss"],
        optim=cfg["optim"],
        ema=cfg["ema"],
        validation=cfg["validation"],
        seed=int(cfg["seed"]),
        config=cfg,
    )


def fit(cfg: Mapping[str, Any], run_dir: Path, extra_callbacks: list[L.Callback] | None = None) -> FitResult:
    """Train as ``cfg`` says, writing checkpoints, the metrics log and figures into ``run_dir``.

    Refuses a directory that already holds a run unless ``cfg.resume`` is true, in which case it continues from
    ``checkpoints/last.ckpt`` exactly where that run stopped.
    """
    cfg = plain(cfg)
    run_dir = Path(run_dir)
    resume_from = prepare_run_dir(run_dir, cfg, bool(cfg.get("resume", False)))
    data = build_data(cfg)
    module = build_module(cfg, data)
    ckpt_dir = run_dir / CHECKPOINTS
    every = int(cfg["checkpoint"]["every_n_steps"])
    callbacks: list[L.Callback] = [
        ModelCheckpoint(dirpath=ckpt_dir, every_n_train_steps=every, save_last=True, save_top_k=0),
        ModelCheckpoint(
            dirpath=ckpt_dir,
            filename="best",
            monitor="val/loss",
            mode="min",
            save_top_k=1,
            enable_version_counter=False,
        ),
        ValidationSamples(run_dir / "figures", int(cfg["validation"]["n_samples"]), int(cfg["seed"]) + 2),
        MetricsLog(run_dir / "metrics.jsonl"),
        *(extra_callbacks or []),
    ]
    if int(cfg.get("replica_check_every", 0)) > 0:
        callbacks.append(ReplicaCheck(run_dir / "replicas.jsonl", int(cfg["replica_check_every"])))
    trainer = L.Trainer(
        **dict(cfg["trainer"]),
        default_root_dir=str(run_dir),
        callbacks=callbacks,
        logger=False,
        plugins=[AtomicCheckpointIO()],
        use_distributed_sampler=False,
        num_sanity_val_steps=0,
    )
    try:
        trainer.fit(module, datamodule=data, ckpt_path=str(resume_from) if resume_from else None)
    except TrainingDiverged:
        mark_run(run_dir, status="diverged", step=trainer.global_step)
        raise
    best = ckpt_dir / "best.ckpt"
    result = FitResult(
        run_dir, ckpt_dir / "last.ckpt", best if best.exists() else None, run_dir / "metrics.jsonl", trainer.global_step
    )
    if is_main_process() and trainer.global_rank == 0:
        plot_loss_curve(read_metrics(result.metrics), run_dir / "figures" / "loss.png")
        mark_run(run_dir, status="finished", step=trainer.global_step, last=str(result.last), best=str(result.best))
    return result
