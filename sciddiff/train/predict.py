"""Sampling on several devices or nodes through Lightning's ``Trainer.predict`` (any strategy, e.g. DDP).

Each rank draws the samples whose indices its shard holds; sample i comes from its own seed
``derive_seed(seed, i)``, so the result is the same as on one device. Shards are written by each rank and merged
by rank 0 in index order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from sciddiff.state import derive_seed
from sciddiff.train.checkpoint import TrainedModel
from sciddiff.train.inference import concat_states, sample_model


class _Indices(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


class SampleTask(L.LightningModule):
    """``predict_step`` draws the samples of a batch of indices (per-sample seeds)."""

    def __init__(self, model: TrainedModel, solver: str, steps: int, seed: int, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.model, self.denoiser = model, model.denoiser
        self.solver, self.steps, self.seed, self.options = solver, steps, seed, dict(options)

    def predict_step(self, batch: Tensor, batch_idx: int) -> dict[str, Any]:
        seeds = [derive_seed(self.seed, int(i)) for i in batch]
        x = sample_model(
            self.denoiser,
            self.model.process,
            self.model.adapter.sample_spec,
            len(seeds),
            self.solver,
            self.steps,
            seeds=seeds,
            device=self.device,
            **self.options,
        )
        return {"index": batch.cpu(), "x": x}


class _ShardWriter(BasePredictionWriter):
    def __init__(self, directory: Path) -> None:
        super().__init__(write_interval="epoch")
        self.directory = directory

    def write_on_epoch_end(self, trainer: L.Trainer, module: Any, predictions: Any, batch_indices: Any) -> None:
        index = torch.cat([p["index"] for p in predictions])
        torch.save({"index": index, "x": concat_states([p["x"] for p in predictions])}, self.shard(trainer.global_rank))

    def shard(self, rank: int) -> Path:
        return self.directory / f"shard-{rank}.pt"


def sample_distributed(
    model: TrainedModel,
    n: int,
    solver: str,
    steps: int,
    *,
    seed: int = 0,
    batch_size: int = 256,
    trainer: Mapping[str, Any] | None = None,
    shard_dir: Path | None = None,
    **options: Any,
) -> Any:
    """``n`` samples drawn by ``Trainer.predict`` with the given trainer settings (e.g. ``{"accelerator": "gpu",
    "devices": 4, "strategy": "ddp"}``); returns them on rank 0 (in index order) and None on other ranks."""
    shard_dir = Path(shard_dir or tempfile.mkdtemp(prefix="sciddiff-shards-"))
    shard_dir.mkdir(parents=True, exist_ok=True)
    writer = _ShardWriter(shard_dir)
    runner = L.Trainer(**dict(trainer or {}), callbacks=[writer], logger=False, enable_checkpointing=False)
    loader = DataLoader(_Indices(n), batch_size=batch_size)
    runner.predict(SampleTask(model, solver, steps, seed, options), loader, return_predictions=False)
    runner.strategy.barrier()
    if runner.global_rank != 0:
        return None
    parts = [torch.load(writer.shard(r), weights_only=True) for r in range(runner.world_size)]
    for r in range(runner.world_size):
        writer.shard(r).unlink()
    index = torch.cat([p["index"] for p in parts])
    x = concat_states([p["x"] for p in parts])
    order = torch.unique(index, sorted=True)  # the distributed sampler pads shards with repeats
    first = torch.stack([torch.nonzero(index == i)[0, 0] for i in order])
    return x[first] if isinstance(x, Tensor) else {k: v[first] for k, v in x.items()}
