"""Continuous-time categorical processes that mix each token towards a stationary distribution m.

q(x_t | x0) = alpha(t) delta(x0) + (1 - alpha(t)) m, and for s < t, q(x_t | x_s) = r delta(x_s) + (1 - r) m with
r = alpha(t)/alpha(s) (the kernels compose because m Q = m). The rate matrix is R(t) = beta(t) (1 m^T - I) with
beta = -alpha'/alpha. Masked (m = the mask token), uniform (m = 1/K) and marginal (m = data frequencies) processes
differ only in m. Austin et al., "Structured Denoising Diffusion Models in Discrete State-Spaces" (2021),
arXiv:2107.03006; Vignac et al., "DiGress: Discrete Denoising diffusion for graph generation" (2022),
arXiv:2209.14734.

Conventions: a noisy leaf holds integer states (B, *event) in range(num_states); clean data and x0-logits use
range(num_classes) = K (num_states is K + 1 for the masked process, whose mask token is K). Times are per sample,
shape (B,) or scalars. Every probability is float64.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes.base import check_time_range
from sciddiff.processes.categorical_sampling import sample_probs
from sciddiff.processes.categorical_schedules import KeepSchedule, get_schedule
from sciddiff.state import NoiseSource

_F64 = torch.float64


class CategoricalProcess:
    """A mixing process over ``num_states`` states with clean classes ``range(num_classes)``."""

    name: str = "categorical"

    def __init__(self, num_classes: int, stationary: Tensor, schedule: str | KeepSchedule | dict = "linear") -> None:
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise ValueError(f"a categorical process needs an integer num_classes >= 2, got {num_classes!r}")
        m = torch.as_tensor(stationary, dtype=_F64)
        if m.dim() != 1 or m.shape[0] not in (num_classes, num_classes + 1):
            raise ValueError(f"stationary distribution has shape {tuple(m.shape)}; need ({num_classes},) or one more")
        if not (torch.isfinite(m).all() and (m >= 0).all() and abs(float(m.sum()) - 1.0) < 1e-9):
            raise ValueError(f"the stationary distribution must be non-negative and sum to 1; got {m.tolist()}")
        self.num_classes, self.stationary = num_classes, m
        self.schedule = get_schedule(schedule)
        self.t_min, self.t_max = self.schedule.t_min, self.schedule.t_max

    @property
    def num_states(self) -> int:
        return self.stationary.shape[0]

    # ------------------------------------------------------------------ schedule
    def alpha(self, t: Tensor | float) -> Tensor:
        """alpha(t) = P(x_t = x0 by not having been corrupted), float64."""
        return self.schedule.alpha(torch.as_tensor(t, dtype=_F64))

    def check_time(self, t: Tensor, what: str = "t") -> None:
        """Raise ValueError when any t lies outside [t_min, t_max] (one host sync)."""
        check_time_range(self, t, what)

    def _coef(self, t: Tensor | float, x: Tensor) -> Tensor:
        """alpha(t) as float64 shaped (B or 1, 1, ..., 1) to broadcast against (B, *event, states)."""
        a = self.alpha(torch.as_tensor(t, dtype=_F64, device=x.device))
        return a.reshape(a.shape[:1] + (1,) * x.dim()) if a.dim() == 1 else a.reshape((1,) * (x.dim() + 1))

    def _onehot(self, x: Tensor, n: int) -> Tensor:
        return torch.nn.functional.one_hot(x.long(), n).to(_F64)

    # ------------------------------------------------------------------ forward process
    def marginal_probs(self, x0: Tensor, t: Tensor | float) -> Tensor:
        """q(x_t | x0) for clean indices (B, *event): probabilities (B, *event, num_states)."""
        a = self._coef(t, x0)
        return a * self._onehot(x0, self.num_states) + (1.0 - a) * self.stationary.to(x0.device)

    def transition_probs(self, x_s: Tensor, s: Tensor | float, t: Tensor | float) -> Tensor:
        """q(x_t | x_s) for s <= t: r delta(x_s) + (1 - r) m with r = alpha(t)/alpha(s)."""
        r = self._coef(t, x_s) / self._coef(s, x_s)
        return r * self._onehot(x_s, self.num_states) + (1.0 - r) * self.stationary.to(x_s.device)

    def add_noise(self, x0: Tensor, t: Tensor | float, generator: object = None, mask: Tensor | None = None) -> Tensor:
        """x_t ~ q(x_t | x0) (float64 Gumbel-max); entries where ``mask`` is False keep their value (padding)."""
        noise = NoiseSource.of(generator, x0.shape[0], x0.device)
        x_t = sample_probs(self.marginal_probs(x0, t), noise)
        return x_t if mask is None else torch.where(mask.expand_as(x0), x_t, x0.long())

    def prior_sample(
        self, shape: tuple[int, ...], generator: object = None, device: torch.device | str = "cpu"
    ) -> Tensor:
        """x ~ m at t_max, shape (B, *event), with per-sample seeds when ``generator`` is an int."""
        noise = NoiseSource.of(generator, shape[0], device)
        probs = self.stationary.to(device).expand(*shape, self.num_states)
        return sample_probs(probs, noise)

    # ------------------------------------------------------------------ reverse process
    def x0_log_likelihood(self, x_t: Tensor, t: Tensor | float) -> Tensor:
        """log q(x_t | x0 = k) for every clean class k, (B, *event, K), up to an additive constant per entry."""
        return torch.log(self.likelihood(x_t, t))

    def likelihood(self, x_t: Tensor, t: Tensor | float) -> Tensor:
        """q(x_t | x0 = k) = alpha delta(x_t, k) + (1 - alpha) m[x_t], shape (B, *event, K)."""
        a = self._coef(t, x_t)
        hit = self._onehot(x_t, self.num_states)[..., : self.num_classes]
        return a * hit + (1.0 - a) * self.stationary.to(x_t.device)[x_t.long()].unsqueeze(-1)

    def consistent(self, x_t: Tensor, t: Tensor | float) -> Tensor:
        """Boolean (B, *event, K): the clean classes x_t can have come from."""
        return self.likelihood(x_t, t) > 0

    def clean_probs(self, x_t: Tensor, logits: Tensor, t: Tensor | float) -> Tensor:
        """p(x0 | x_t): softmax of the x0-logits restricted to the classes x_t is consistent with (q(x_t|x0) > 0).

        For the masked process this carries revealed tokens over unchanged whatever the logits say.
        """
        consistent = self.consistent(x_t, t)
        return torch.softmax(logits.to(_F64).masked_fill(~consistent, float("-inf")), dim=-1)

    def reverse_probs(self, x_t: Tensor, logits: Tensor, t: Tensor | float, s: Tensor | float) -> Tensor:
        """p(x_s | x_t) = sum_k q(x_s | x_t, x0 = k) p(x0 = k | x_t) for s < t, shape (B, *event, num_states).

        With w_k = p(k | x_t) / q(x_t | k) and S = sum_k w_k, the sum is O(K) per entry:
        p(x_s = j | x_t = i) = [alpha_t delta_ij + (alpha_s - alpha_t) m_i] [w_j + (1 - alpha_s)/alpha_s m_j S].
        ``logits`` are x0-logits (B, *event, K); a one-hot x0 (logits 0 / -inf) gives q(x_s | x_t, x0).
        """
        p0 = self.clean_probs(x_t, logits, t)
        lik = self.likelihood(x_t, t)
        w = torch.where(lik > 0, p0 / lik.clamp_min(torch.finfo(_F64).tiny), 0.0)
        total = w.sum(-1, keepdim=True)
        if self.num_states > self.num_classes:
            w = torch.cat([w, torch.zeros_like(w[..., :1])], dim=-1)
        a_t, a_s = self._coef(t, x_t), self._coef(s, x_t)
        m = self.stationary.to(x_t.device)
        left = a_t * self._onehot(x_t, self.num_states) + (a_s - a_t) * m[x_t.long()].unsqueeze(-1)
        out = left * (w + (1.0 - a_s) / a_s * m * total)
        return out / out.sum(-1, keepdim=True)

    def posterior_probs(self, x_t: Tensor, x0: Tensor, t: Tensor | float, s: Tensor | float) -> Tensor:
        """q(x_s | x_t, x0) for clean indices x0 consistent with x_t, shape (B, *event, num_states)."""
        logits = torch.log(self._onehot(x0, self.num_classes))
        return self.reverse_probs(x_t, logits, t, s)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_classes={self.num_classes}, schedule={self.schedule!r})"
