"""Uniform and marginal-prior categorical processes: tokens are resampled from a fixed distribution m."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes.categorical_base import CategoricalProcess
from sciddiff.processes.categorical_schedules import KeepSchedule

_F64 = torch.float64


class UniformProcess(CategoricalProcess):
    """q(x_t | x0) = alpha(t) delta(x0) + (1 - alpha(t)) / K: K states, no mask token.

    Default schedule: linear on [0, 1], so x_{t_max} is uniform. Austin et al. (2021), arXiv:2107.03006
    (D3PM-uniform); Hoogeboom et al., "Argmax Flows and Multinomial Diffusion" (2021), arXiv:2102.05379.
    """

    name = "uniform"

    def __init__(self, num_classes: int, schedule: str | KeepSchedule | dict = "linear") -> None:
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ValueError(f"a categorical process needs an integer num_classes >= 2, got {num_classes!r}")
        super().__init__(num_classes, torch.full((num_classes,), 1.0 / num_classes, dtype=_F64), schedule)


class MarginalProcess(CategoricalProcess):
    """q(x_t | x0) = alpha(t) delta(x0) + (1 - alpha(t)) m with m the data's class frequencies (all > 0).

    The prior at t_max is m itself, which is closer to the data than the uniform one. Vignac et al., "DiGress:
    Discrete Denoising diffusion for graph generation" (2022), arXiv:2209.14734, Sec. 4.1.
    """

    name = "marginal"

    def __init__(self, marginals: Tensor | list[float], schedule: str | KeepSchedule | dict = "linear") -> None:
        m = torch.as_tensor(marginals, dtype=_F64)
        if m.dim() != 1 or m.shape[0] < 2:
            raise ValueError(f"marginals must be a vector over K >= 2 classes, got shape {tuple(m.shape)}")
        if not (torch.isfinite(m).all() and (m > 0).all()):
            raise ValueError(f"marginal-prior transitions need every class frequency > 0; got {m.tolist()}")
        super().__init__(m.shape[0], m / m.sum(), schedule)

    @classmethod
    def from_data(cls, x0: Tensor, num_classes: int, mask: Tensor | None = None, **kwargs: object) -> MarginalProcess:
        """The process whose m is the class frequency of ``x0`` over its real entries (``mask`` True)."""
        values = x0.reshape(-1) if mask is None else x0[mask.expand_as(x0)]
        if values.numel() and (int(values.min()) < 0 or int(values.max()) >= num_classes):
            raise ValueError(
                f"class indices must lie in [0, {num_classes}); got [{int(values.min())}, {int(values.max())}]"
            )
        counts = torch.bincount(values.long(), minlength=num_classes).to(_F64)
        return cls(counts / counts.sum(), **kwargs)  # type: ignore[arg-type]
