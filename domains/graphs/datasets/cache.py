"""Where processed tensors are cached: ``$SCIDDIFF_CACHE`` or ``~/.cache/sciddiff``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch


def cache_dir(cache: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory (created if missing): the argument, else ``$SCIDDIFF_CACHE``, else ``~/.cache/sciddiff``."""
    root = Path(cache) if cache is not None else Path(os.environ.get("SCIDDIFF_CACHE", Path.home() / ".cache/sciddiff"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def save_plain(obj: dict[str, Any], path: Path) -> None:
    """Save a dict of plain tensors, numbers, strings and lists atomically (write then rename)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def load_plain(path: Path) -> dict[str, Any]:
    """Load what :func:`save_plain` wrote, with ``weights_only=True`` (no arbitrary code runs)."""
    return torch.load(path, weights_only=True)
