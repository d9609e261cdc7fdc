"""Masking operators of the tasks on raw (C, L) windows: forecasting, random and block gaps, sparse sensors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from sciddiff.domains.timeseries.masks import block_mask, forecast_mask, history_mask, sparse_mask
from torch import Tensor

from sciddiff.operators import Mask

TASKS = ("forecast", "impute", "block", "sparse")


def task_mask(task: str, options: Mapping[str, Any], shape: tuple[int, ...]) -> Tensor:
    """The observation mask (True = observed) of a task on (C, L) windows.

    forecast: ``context`` first steps; impute: the first ``history`` steps (default 0) observed, each later entry
    missing with probability ``missing`` (``seed``);
    block: ``length`` steps from ``start`` missing in ``channels`` (all by default); sparse: ``channels`` every
    ``every`` steps from ``phase``.
    """
    o = dict(options)
    if task == "forecast":
        if "context" not in o:
            raise ValueError("the forecast task needs context (the number of observed first steps)")
        return forecast_mask(shape, int(o["context"]))
    if task == "impute":
        g = torch.Generator().manual_seed(int(o.get("seed", 0)))
        return history_mask(shape, int(o.get("history", 0)), float(o.get("missing", 0.5)), g)
    if task == "block":
        length = int(o.get("length", shape[-1] // 4))
        start = int(o.get("start", (shape[-1] - length) // 2))
        return block_mask(shape, start, length, o.get("channels"))
    if task == "sparse":
        return sparse_mask(shape, int(o.get("every", 1)), int(o.get("phase", 0)), o.get("channels"))
    raise ValueError(f"unknown task mask {task!r}; choose one of {list(TASKS)}")


def task_operator(task: str, options: Mapping[str, Any], raw_shape: tuple[int, ...]) -> Mask:
    """The :class:`Mask` operator y = x[mask] of :func:`task_mask` for windows of ``raw_shape`` (C, L)."""
    mask = task_mask(task, options, tuple(raw_shape))
    if not bool(mask.any()):
        raise ValueError(f"the {task} mask {dict(options)} observes no entry of a {tuple(raw_shape)} window")
    return Mask(mask)
