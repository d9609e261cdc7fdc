"""Ancestral steps of categorical leaves, and the grid-following stepper that mixed states use.

One ancestral step draws x_s ~ p(x_s | x_t) = sum_x0 q(x_s | x_t, x0) p(x0 | x_t) independently per entry, from
the denoiser's x0-logits (float64 Gumbel-max). The last draw at t_min takes x0 itself from p(x0 | x_t). Padding
entries (mask False) never change; symmetric pairs are drawn on the upper triangle and mirrored. Austin et al.
(2021), arXiv:2107.03006; Shi et al. (2024), arXiv:2406.04329.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.processes import CategoricalProcess, MixedProcess
from sciddiff.processes.categorical_sampling import sample_probs
from sciddiff.state import LeafSpec, NoiseSource, StateSpec, free_entries, tie


def _real(x: Tensor, mask: Tensor | None) -> Tensor:
    """x with padding entries replaced by state 0, so that every entry indexes a valid state."""
    return x if mask is None else torch.where(mask.expand_as(x), x, 0)


def _keep_padding(new: Tensor, old: Tensor, mask: Tensor | None) -> Tensor:
    return new if mask is None else torch.where(mask.expand_as(old), new, old)


def _draw(probs: Tensor, x_t: Tensor, noise: NoiseSource, mask: Tensor | None, leaf: LeafSpec | None) -> Tensor:
    if leaf is None:
        return _keep_padding(sample_probs(probs, noise), x_t, mask)
    return tie(_keep_padding(sample_probs(probs, noise), x_t, free_entries(leaf, mask, x_t)), leaf)


def ancestral_step(
    process: CategoricalProcess,
    x_t: Tensor,
    logits: Tensor,
    t: Tensor,
    s: Tensor,
    noise: NoiseSource,
    mask: Tensor | None = None,
    leaf: LeafSpec | None = None,
) -> Tensor:
    """x_s ~ p(x_s | x_t) for s < t (per-sample times (B,) or scalars). With ``leaf``, symmetric-pairs constraints
    are honoured: the upper triangle is drawn and mirrored (see :mod:`sciddiff.state.categorical`)."""
    return _draw(process.reverse_probs(_real(x_t, mask), logits, t, s), x_t, noise, mask, leaf)


def clean_draw(
    process: CategoricalProcess,
    x_t: Tensor,
    logits: Tensor,
    t: Tensor,
    noise: NoiseSource,
    mask: Tensor | None = None,
    leaf: LeafSpec | None = None,
) -> Tensor:
    """x0 ~ p(x0 | x_t): the final step to clean data (revealed tokens of a masked process stay as they are)."""
    return _draw(process.clean_probs(_real(x_t, mask), logits, t), x_t, noise, mask, leaf)


def check_categorical(process: MixedProcess, spec: StateSpec, leaves: dict[str, Tensor]) -> None:
    """Refuse categorical leaves that are not integer or hold states outside range(num_states) (one host sync)."""
    for k in spec.categorical:
        x, n = leaves[k], process.categorical[k].num_states
        if x.is_floating_point() or x.is_complex():
            raise ValueError(f"categorical leaf {k!r} must hold integer states, got dtype {x.dtype}")
        real = _real(x, spec.masks.get(k))
        lo, hi = int(real.min()), int(real.max())
        if lo < 0 or hi >= n:
            raise ValueError(f"categorical leaf {k!r} holds states in [{lo}, {hi}]; its process has states 0..{n - 1}")


class AncestralStepper:
    """Categorical leaves of a mixed state, advanced along the solver's grid.

    When the continuous solver evaluates the denoiser at grid point j, the categorical leaves must be at t_j:
    they are advanced lazily from t_{j-1} with the x0-logits of the latest evaluation at grid point j-1 (for
    solvers with several evaluations per point, the one at the state the solver moves on from). Within one
    interval the categorical leaves are held fixed while the continuous step is taken: a first-order splitting
    that is exact as the grid is refined.
    """

    def __init__(
        self, process: MixedProcess, spec: StateSpec, leaves: dict[str, Tensor], grid: Tensor, noise: NoiseSource
    ) -> None:
        self.process, self.spec, self.grid, self.noise = process, spec, grid, noise
        self.leaves = {k: leaves[k] for k in spec.categorical}
        self.index = 0
        self.logits: dict[str, Tensor] | None = None

    def at(self, step: int) -> dict[str, Tensor]:
        """The categorical leaves at grid point ``step`` (advancing them if needed)."""
        if step < self.index:
            raise ValueError(
                f"the solver evaluated grid point {step} after grid point {self.index}; mixed states need solvers "
                "that move forward along the grid"
            )
        while self.index < step:
            if self.logits is None:
                raise ValueError(f"no denoiser evaluation at grid point {self.index} to advance the categorical leaves")
            t, s = self.grid[:, self.index], self.grid[:, self.index + 1]
            self.leaves = {
                k: ancestral_step(
                    self.process.categorical[k],
                    x,
                    self.logits[k],
                    t,
                    s,
                    self.noise,
                    self.spec.masks.get(k),
                    self.spec.leaves[k],
                )
                for k, x in self.leaves.items()
            }
            self.index += 1
            self.logits = None
        return self.leaves

    def record(self, step: int, logits: dict[str, Tensor]) -> None:
        """Keep the x0-logits of an evaluation at grid point ``step``."""
        if step == self.index:
            self.logits = logits

    def finish(self) -> dict[str, Tensor]:
        """x0 ~ p(x0 | x_{t_min}) from the latest evaluation at the last grid point."""
        if self.logits is None or self.index != self.grid.shape[1] - 1:
            raise ValueError("finish() needs a denoiser evaluation at the last grid point")
        t = self.grid[:, -1]
        self.leaves = {
            k: clean_draw(
                self.process.categorical[k],
                x,
                self.logits[k],
                t,
                self.noise,
                self.spec.masks.get(k),
                self.spec.leaves[k],
            )
            for k, x in self.leaves.items()
        }
        return self.leaves
