"""The masked (absorbing) process: tokens jump to an extra mask token and stay there."""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes.categorical_base import CategoricalProcess
from sciddiff.processes.categorical_schedules import KeepSchedule

_F64 = torch.float64


class MaskedProcess(CategoricalProcess):
    """q(x_t | x0) = alpha(t) delta(x0) + (1 - alpha(t)) delta(mask), with the mask token at index K.

    K + 1 states; x0-logits cover the K clean classes only. The posterior given x_t depends on t only through
    which tokens are masked ("time-agnostic"), so :meth:`x0_log_likelihood` is 0 on the classes x_t allows and
    -inf elsewhere. Default schedule: linear, t in [0, 1] (alpha(0) = 1, alpha(1) = 0: everything is masked at
    t_max). Shi et al., "Simplified and Generalized Masked Diffusion for Discrete Data" (2024), arXiv:2406.04329;
    Zheng et al. (2024), arXiv:2409.02908.
    """

    name = "masked"

    def __init__(self, num_classes: int, schedule: str | KeepSchedule | dict = "linear") -> None:
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ValueError(f"a categorical process needs an integer num_classes >= 2, got {num_classes!r}")
        m = torch.zeros(num_classes + 1, dtype=_F64)
        m[num_classes] = 1.0
        super().__init__(num_classes, m, schedule)

    @property
    def mask_index(self) -> int:
        return self.num_classes

    def consistent(self, x_t: Tensor, t: Tensor | float) -> Tensor:
        x = x_t.long()
        hit = torch.nn.functional.one_hot(x.clamp_max(self.num_classes - 1), self.num_classes).bool()
        return hit | (x == self.mask_index).unsqueeze(-1)

    def reverse_probs(self, x_t: Tensor, logits: Tensor, t: Tensor | float, s: Tensor | float) -> Tensor:
        """Revealed tokens stay; a masked entry is revealed with probability (alpha_s - alpha_t)/(1 - alpha_t),
        its token drawn from p(x0 | x_t), and stays masked otherwise (the general formula, in closed form)."""
        a_t, a_s = self._coef(t, x_t), self._coef(s, x_t)
        masked = (x_t == self.mask_index).unsqueeze(-1)
        p0 = torch.softmax(logits.to(_F64), dim=-1)
        reveal = torch.cat([(a_s - a_t) * p0, (1.0 - a_s).expand_as(p0[..., :1])], dim=-1) / (1.0 - a_t)
        keep = self._onehot(x_t, self.num_states)
        return torch.where(masked, reveal, keep)

    def x0_log_likelihood(self, x_t: Tensor, t: Tensor | float) -> Tensor:
        ok = self.consistent(x_t, t)
        return torch.zeros(ok.shape, dtype=_F64, device=x_t.device).masked_fill(~ok, float("-inf"))
