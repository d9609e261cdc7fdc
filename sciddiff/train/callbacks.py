"""Training callbacks: an append-only metrics log, validation figures, and a replica-consistency check for DDP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning as L
import torch


class MetricsLog(L.Callback):
    """Appends one JSON line per training step (step, epoch, loss, lr) and per validation (its metrics) to
    ``path``. It only ever appends, flushing each line, so a killed run keeps everything it logged and a resumed
    run continues the same file (steps re-done after the last checkpoint appear again, later in the file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _write(self, trainer: L.Trainer, row: dict[str, Any]) -> None:
        if trainer.global_rank != 0:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()

    def on_train_batch_end(self, trainer: L.Trainer, module: L.LightningModule, outputs: Any, *args: Any) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else float("nan")
        row = {"step": trainer.global_step, "epoch": trainer.current_epoch, "loss": float(loss), "lr": lr}
        self._write(trainer, row)

    def on_validation_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        if metrics:
            self._write(trainer, {"step": trainer.global_step, "epoch": trainer.current_epoch, **metrics})


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The rows of a metrics log; for steps logged more than once (re-done after a resume), the last wins."""
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for line in Path(path).read_text().splitlines():
        row = json.loads(line)
        kind = "train" if "loss" in row else "val"
        rows[(row["step"], kind)] = row
    return [rows[k] for k in sorted(rows)]


class ValidationSamples(L.Callback):
    """After each validation: draws EMA samples, logs the adapter's metrics against the validation data under
    ``val/<name>`` and saves the adapter's figure into ``directory`` (rank 0). Place it before :class:`MetricsLog`
    so that the log sees its metrics."""

    def __init__(self, directory: Path, n_samples: int, seed: int) -> None:
        self.directory, self.n, self.seed = Path(directory), n_samples, seed

    def on_validation_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        ref = module.validation_reference()
        if trainer.sanity_checking or self.n <= 0 or ref is None:
            return
        adapter = module.adapter
        n = min(self.n, adapter.state_spec().batch_size(ref))
        ref = ref[:n] if isinstance(ref, torch.Tensor) else {k: v[:n] for k, v in ref.items()}
        raw, raw_ref = adapter.decode(module.draw(n, seed=self.seed)), adapter.decode(ref)
        metrics = {f"val/{k}": float(v) for k, v in adapter.metrics(raw, raw_ref).items()}
        if metrics:
            module.log_dict(metrics, sync_dist=True)
        if trainer.global_rank == 0:
            self.directory.mkdir(parents=True, exist_ok=True)
            adapter.plot(raw, self.directory / f"samples-step{trainer.global_step:07d}.png", reference=raw_ref)


def parameter_checksum(module: torch.nn.Module) -> torch.Tensor:
    """Two float64 numbers summarising all parameters: their sum and a position-weighted sum."""
    total = torch.zeros(2, dtype=torch.float64)
    for i, p in enumerate(module.parameters()):
        v = p.detach().double().cpu()
        total += torch.stack([v.sum(), (i + 1) * (v * torch.arange(v.numel()).reshape(v.shape).double()).sum()])
    return total


class ReplicaCheck(L.Callback):
    """Every ``every_n_steps`` steps (and at the end) all-gathers a checksum of the denoiser's weights from every
    rank and raises if the replicas have drifted apart; rank 0 records the checksums in ``path``."""

    def __init__(self, path: Path, every_n_steps: int = 10) -> None:
        self.path, self.every = Path(path), every_n_steps

    def _check(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        sums = trainer.strategy.all_gather(parameter_checksum(module.denoiser).to(module.device))
        sums = sums.reshape(trainer.world_size, 2).cpu()
        spread = float((sums - sums[0]).abs().max())
        if spread > 1e-9 * float(sums[0].abs().max() + 1):
            raise RuntimeError(f"DDP replicas differ at step {trainer.global_step}: checksums {sums.tolist()}")
        if trainer.global_rank == 0:
            with self.path.open("a") as f:
                f.write(json.dumps({"step": trainer.global_step, "checksums": sums.tolist()}) + "\n")

    def on_train_batch_end(self, trainer: L.Trainer, module: L.LightningModule, *args: Any) -> None:
        if trainer.global_step % self.every == 0:
            self._check(trainer, module)

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._check(trainer, module)
