"""What a posterior sampler's own loop works with: inputs, the coefficient table in the working dtype, and the
denoiser at grid times (optionally in the operator's singular basis)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, predict
from sciddiff.guidance.observation import Observation
from sciddiff.processes import Process
from sciddiff.solvers import Schedule
from sciddiff.state import NoiseSource


@dataclass
class Loop:
    """Inputs of :meth:`PosteriorSampler.run`; ``x`` is the batch drawn from the prior at the first grid time."""

    denoiser: Any
    process: Process
    obs: Observation
    x: Tensor
    sched: Schedule
    cost: Cost
    noise: NoiseSource
    progress: bool = False
    _tables: dict[str, Tensor] = field(default_factory=dict, repr=False)

    @property
    def dtype(self) -> torch.dtype:
        return self.x.dtype

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    @property
    def steps(self) -> int:
        return self.sched.steps

    def table(self, name: str) -> Tensor:
        """``alpha``, ``sigma``, ``t`` or ``s`` (= sigma/alpha) at every grid point, (N+1, B|1), working dtype."""
        if name not in self._tables:
            raw = torch.exp(-self.sched.lam) if name == "s" else getattr(self.sched, name)
            self._tables[name] = raw.to(self.dtype)
        return self._tables[name]

    def per_sample(self, row: Tensor) -> Tensor:
        """A (B|1,) coefficient row shaped to broadcast against the state (B, *in_shape)."""
        return row.reshape(-1, *([1] * (self.x.dim() - 1)))

    def denoise(self, x: Tensor, i: int) -> Tensor:
        """E[x0 | x_t] at grid time i."""
        return predict(self.denoiser, x, self.table("t")[i].expand(self.batch)).mean

    def spectral_denoise(self, z: Tensor, i: int) -> Tensor:
        """V^T D(alpha_i V z): the denoiser for coefficients z of y = x/alpha in the singular basis."""
        op = self.obs.operator
        return op.v_t(self.denoise(self.per_sample(self.table("alpha")[i]) * op.v(z), i))

    def levels(self, i: int) -> tuple[Tensor, Tensor]:
        """(s_i, s_{i+1}) as (B|1, 1) columns; s_{N+1} = 0 stands for the final denoise."""
        s = self.table("s")
        s_cur = s[i].unsqueeze(1)
        return s_cur, (s[i + 1].unsqueeze(1) if i < self.steps else torch.zeros_like(s_cur))

    def randn(self, flat: bool = False) -> Tensor:
        """Fresh standard noise shaped like the state (or like its flat coefficients)."""
        shape = (self.obs.operator.in_dim,) if flat else tuple(self.x.shape[1:])
        return self.noise.randn(shape, self.dtype)
