"""The domain-agnostic LightningModule: process + denoiser + loss + adapter, with EMA and safe checkpoints.

Randomness of training step k on rank r (diffusion times, noise, dropout, condition dropout) comes from the global
torch RNG re-seeded with ``derive_seed(derive_seed(seed, r), k)`` inside a forked RNG context, so it is a function
of (seed, rank, step) alone: a run resumed from a step-k checkpoint draws exactly what the uninterrupted run drew.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import lightning as L
import torch
from torch import Tensor

from sciddiff import __version__ as sciddiff_version
from sciddiff.state import State, StateSpec, derive_seed
from sciddiff.train.adapter import Adapter
from sciddiff.train.build import backbone_record, denoiser_from, loss_from, model_record, plain, process_from
from sciddiff.train.checkpoint import FORMAT_VERSION, check_plugin
from sciddiff.train.ema import EMA
from sciddiff.train.inference import concat_states, sample_model


class TrainingDiverged(RuntimeError):
    """The training loss became NaN or inf; the last good checkpoint is kept."""


def lr_factor(step: int, schedule: str, warmup: int, total: int) -> float:
    """Learning-rate multiplier: linear warm-up over ``warmup`` steps, then constant, cosine or linear decay."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "linear":
        return 1.0 - progress
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose constant, cosine or linear")


def unpack(adapter: Adapter, batch: Mapping[str, Any]) -> tuple[State, StateSpec, dict[str, Any]]:
    """(state, spec bound to the batch's masks, conditioning keywords) of a collated batch."""
    if "x" not in batch:
        raise ValueError(f"a batch must hold the state under 'x'; got keys {sorted(batch)}")
    return batch["x"], adapter.batch_spec(batch), dict(batch.get("cond") or {})


class DiffusionModule(L.LightningModule):
    """Trains ``adapter``'s data with the configured process, backbone and loss.

    ``optim``: lr, weight_decay, betas, schedule (constant | cosine | linear), warmup_steps, total_steps.
    ``ema``: decay, warmup. ``validation``: n_samples, solver, steps (sampled with the EMA weights each epoch).
    """

    def __init__(
        self,
        adapter: Adapter,
        process: Mapping[str, Any],
        model: Mapping[str, Any],
        loss: Mapping[str, Any],
        optim: Mapping[str, Any],
        ema: Mapping[str, Any],
        validation: Mapping[str, Any],
        seed: int,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.adapter = adapter
        self.records = {
            "process": plain(dict(process)),
            "model": model_record(model, adapter),
            "loss": plain(dict(loss)),
            "optim": plain(dict(optim)),
            "ema": plain(dict(ema)),
            "validation": plain(dict(validation)),
        }
        self.records["backbone"] = backbone_record(self.records["model"], adapter)
        self.seed, self.config = int(seed), plain(dict(config or {}))
        self.process = process_from(self.records["process"])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, -1))  # initial weights are a function of the seed
            self.denoiser = denoiser_from(self.records["model"], self.records["backbone"], self.process)
        self.loss_fn = loss_from(self.records["loss"], self.process)
        self.ema = EMA(self.denoiser, float(ema.get("decay", 0.999)), bool(ema.get("warmup", True)))
        self.ema.requires_grad_(False)
        self._val_reference: list[Any] = []

    # ------------------------------------------------------------------ randomness
    def step_seed(self, step: int | None = None) -> int:
        return derive_seed(derive_seed(self.seed, self.global_rank), self.global_step if step is None else step)

    def _fork(self) -> Any:
        devices = [self.device] if self.device.type == "cuda" else []
        return torch.random.fork_rng(devices=devices, device_type=self.device.type)

    # ------------------------------------------------------------------ training
    def training_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        x, spec, cond = unpack(self.adapter, batch)
        with self._fork():
            torch.manual_seed(self.step_seed())
            gen = torch.Generator(device=self.device).manual_seed(self.step_seed())
            loss = self.loss_fn(self.denoiser, x, spec=spec, generator=gen, cond=cond).mean()
        if not bool(torch.isfinite(loss.detach())):
            raise TrainingDiverged(
                f"training loss is {float(loss)} at step {self.global_step} (epoch {self.current_epoch}); "
                "training stopped and the last good checkpoint is kept"
            )
        self.log("train/loss", loss, prog_bar=True, batch_size=spec.batch_size(x))
        return loss

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.ema.update(self.denoiser)

    def configure_optimizers(self) -> dict[str, Any]:
        o = self.records["optim"]
        opt = torch.optim.AdamW(
            self.denoiser.parameters(),
            lr=float(o.get("lr", 2e-4)),
            betas=tuple(o.get("betas", (0.9, 0.999))),
            weight_decay=float(o.get("weight_decay", 0.0)),
        )
        schedule, warmup = str(o.get("schedule", "constant")), int(o.get("warmup_steps", 0))
        total = int(o.get("total_steps", 0))
        if schedule != "constant" and total <= warmup:
            raise ValueError(f"lr schedule {schedule!r} needs optim.total_steps > warmup_steps, got {total}")
        lr_factor(0, schedule, warmup, total)  # validates the schedule name before training starts
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, schedule, warmup, total))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # ------------------------------------------------------------------ validation
    def on_validation_epoch_start(self) -> None:
        self._val_reference = []

    def validation_step(self, batch: Mapping[str, Any], batch_idx: int) -> Tensor:
        x, spec, cond = unpack(self.adapter, batch)
        gen = torch.Generator(device=self.device).manual_seed(derive_seed(self.seed + 1, batch_idx))
        loss = self.loss_fn(self.ema.module, x, spec=spec, generator=gen, cond=cond).mean()
        self.log("val/loss", loss, prog_bar=True, batch_size=spec.batch_size(x), sync_dist=True)
        self._val_reference.append(x)
        return loss

    def validation_reference(self) -> State | None:
        """The validation states seen in the last validation loop (for sample metrics), or None."""
        return concat_states(self._val_reference) if self._val_reference else None

    @torch.no_grad()
    def draw(self, n: int, seed: int) -> State:
        """``n`` samples from the EMA model with the validation solver (per-sample seeds)."""
        v = self.records["validation"]
        return sample_model(
            self.ema.module,
            self.process,
            self.adapter.sample_spec,
            n,
            v.get("solver", "dpmpp_2m"),
            int(v.get("steps", 20)),
            seed=seed,
            device=self.device,
            grid=v.get("grid"),
        )

    # ------------------------------------------------------------------ checkpoints
    def sciddiff_record(self) -> dict[str, Any]:
        cls = type(self.adapter)
        return {
            "format_version": FORMAT_VERSION,
            "sciddiff_version": sciddiff_version,
            "plugin": {"name": cls.name, "version": cls.version, "class": f"{cls.__module__}:{cls.__qualname__}"},
            "adapter": {"options": plain(self.adapter.options), "state": self.adapter.state_dict()},
            **self.records,
            "seed": self.seed,
            "config": self.config,
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["sciddiff"] = self.sciddiff_record()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        rec = checkpoint.get("sciddiff")
        if rec is None:
            raise ValueError("checkpoint has no 'sciddiff' record: it was not written by sciddiff")
        check_plugin(rec, self.adapter, "being resumed")
        mine = self.sciddiff_record()
        for key in ("process", "backbone"):
            if rec[key] != mine[key]:
                raise ValueError(f"checkpoint {key} {rec[key]} differs from this run's {mine[key]}; cannot resume")
        self.adapter.load_state_dict(rec["adapter"]["state"])
