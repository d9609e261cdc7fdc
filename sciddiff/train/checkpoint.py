"""Checkpoints: atomic writes, plain-data records, safe loading (``weights_only=True``) and clear refusals.

A sciddiff checkpoint is a Lightning checkpoint whose ``"sciddiff"`` entry holds everything needed to sample, as
plain data: the format version, the plug-in (adapter) name and version, the adapter's options and fitted state,
the process, backbone and denoiser records, and the resolved run config.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins import CheckpointIO

from sciddiff.denoisers import NetworkDenoiser
from sciddiff.processes import Process
from sciddiff.train.adapter import Adapter
from sciddiff.train.build import denoiser_from, process_from
from sciddiff.train.inference import sample_model
from sciddiff.train.registry import build_adapter

FORMAT_VERSION = 1


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` to a temporary file in the same directory, fsync, then rename over ``path``: a reader never
    sees a partial file, and a crash mid-write leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint file with ``weights_only=True``; corrupt or foreign files give a ValueError."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises several types for truncated, corrupt or unsafe files
        raise ValueError(f"checkpoint {path} is corrupt or not a plain-data checkpoint: {err}") from None
    if not isinstance(ckpt, Mapping) or "sciddiff" not in ckpt or "state_dict" not in ckpt:
        raise ValueError(f"{path} is not a sciddiff checkpoint (no 'sciddiff' record)")
    version = ckpt["sciddiff"].get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"checkpoint {path} has format version {version!r}; this sciddiff reads version {FORMAT_VERSION}"
        )
    return dict(ckpt)


def check_plugin(record: Mapping[str, Any], adapter: Adapter, path: str | Path) -> None:
    """Refuse a checkpoint written by another plug-in or another plug-in version."""
    plugin = record["plugin"]
    if (plugin["name"], plugin["version"]) != (adapter.name, adapter.version):
        raise ValueError(
            f"checkpoint {path} was written by plug-in {plugin['name']!r} version {plugin['version']!r}; "
            f"this run uses {adapter.name!r} version {adapter.version!r}"
        )


class AtomicCheckpointIO(CheckpointIO):
    """Lightning checkpoint I/O that writes atomically and loads with ``weights_only=True``."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None) -> None:
        atomic_save(checkpoint, path)

    def load_checkpoint(self, path: Any, map_location: Any = None, weights_only: bool | None = None) -> dict:
        return read_checkpoint(path, map_location if map_location is not None else "cpu")

    def remove_checkpoint(self, path: Any) -> None:
        Path(path).unlink(missing_ok=True)


@dataclass
class TrainedModel:
    """A trained model ready to sample: adapter (fitted), process, denoiser (eval mode) and the record."""

    adapter: Adapter
    process: Process
    denoiser: NetworkDenoiser
    record: dict[str, Any]
    path: Path
    ema: bool

    def sample(self, n: int, solver: str = "dpmpp_2m", steps: int = 20, *, seed: int = 0, **options: Any) -> Any:
        """``n`` samples in model state (decode with ``adapter.decode``); see ``inference.sample_model``."""
        return sample_model(
            self.denoiser, self.process, self.adapter.sample_spec, n, solver, steps, seed=seed, **options
        )


def load_trained(path: str | Path, ema: bool = True, map_location: Any = "cpu") -> TrainedModel:
    """Rebuild a trained model from a checkpoint; the EMA weights are used unless ``ema=False``."""
    path = Path(path)
    ckpt = read_checkpoint(path, map_location)
    rec = ckpt["sciddiff"]
    adapter = build_adapter(rec["plugin"]["class"], **rec["adapter"]["options"])
    check_plugin(rec, adapter, path)
    adapter.load_state_dict(rec["adapter"]["state"])
    process = process_from(rec["process"])
    denoiser = denoiser_from(rec["model"], rec["backbone"], process)
    prefix = "ema.module." if ema else "denoiser."
    weights = {k[len(prefix) :]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)}
    if not weights:
        raise ValueError(f"checkpoint {path} holds no {'EMA ' if ema else ''}weights (no keys under {prefix!r})")
    try:
        denoiser.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"checkpoint {path} does not match the model its record describes: {err}") from None
    denoiser.eval().requires_grad_(False)
    return TrainedModel(adapter, process, denoiser, dict(rec), path, ema)
