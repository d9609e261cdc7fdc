"""Denoiser calls for states with categorical leaves: the mixed flat model and the categorical-only caller."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.denoisers.categorical_output import split_prediction
from sciddiff.solvers.categorical_step import AncestralStepper
from sciddiff.solvers.model import FlatModel
from sciddiff.state import State, StateSpec


class MixedModel(FlatModel):
    """The flat model of a mixed state: the solver sees the continuous leaves (B, D); the categorical leaves
    come from ``stepper`` at the grid point of each call, and the x0-logits of every call go back to it."""

    def __init__(
        self, denoiser: Any, spec: StateSpec, like: State, cond: dict[str, Any], cost: Cost, stepper: AncestralStepper
    ) -> None:
        super().__init__(denoiser, spec, like, cond, cost)
        self.stepper = stepper
        self._bad_logits: list[Tensor] = []

    def __call__(self, z: Tensor, t: Tensor, step: int) -> Tensor:
        b = z.shape[0]
        t_vec = t.reshape(-1).to(z.dtype).expand(b) if t.numel() == 1 else t.reshape(b).to(z.dtype)
        leaves = {**self.spec.as_leaves(self.like), **self.stepper.at(step)}
        x = self.spec.unflatten(z, like=self.spec.from_leaves(leaves))
        means, logits = split_prediction(self.denoiser(x, t_vec, **self.cond), self.spec, b)
        self.stepper.record(step, logits)
        flat = torch.cat([means[k].reshape(b, -1) for k in self.spec.continuous], dim=1).to(z.dtype)
        flat = self.spec.project_flat(flat)
        self.cost.nfe += 1
        self._sums.append(flat.detach().sum())
        self._bad_logits.append(torch.stack([torch.isnan(v).any() for v in logits.values()]).any())
        self._calls.append((step, t_vec))
        return flat

    def raise_if_nonfinite(self) -> None:
        """Also report NaN x0-logits (-inf logits are allowed: they rule classes out)."""
        if self._bad_logits and bool(torch.stack(self._bad_logits).any()):
            step, t = self._calls[int(torch.stack(self._bad_logits).nonzero()[0])]
            raise ValueError(f"the denoiser returned NaN logits at step {step} (t = {float(t.reshape(-1)[0]):.6g})")
        super().raise_if_nonfinite()


class CategoricalCaller:
    """Calls the denoiser on a categorical-only state, counts NFEs and checks the logits' contract."""

    def __init__(self, denoiser: Any, spec: StateSpec, cond: dict[str, Any], cost: Cost, dtype: torch.dtype) -> None:
        self.denoiser, self.spec, self.cond, self.cost, self.dtype = denoiser, spec, cond, cost, dtype
        self._bad: list[Tensor] = []
        self._times: list[Tensor] = []

    def __call__(self, leaves: dict[str, Tensor], t: Tensor) -> dict[str, Tensor]:
        """x0-logits per categorical leaf at per-sample times ``t`` ((B,) or one value)."""
        b = next(iter(leaves.values())).shape[0]
        t_vec = t.reshape(-1).to(self.dtype).expand(b) if t.numel() == 1 else t.reshape(b).to(self.dtype)
        _, logits = split_prediction(self.denoiser(self.spec.from_leaves(leaves), t_vec, **self.cond), self.spec, b)
        self.cost.nfe += 1
        self._bad.append(torch.stack([torch.isnan(v).any() for v in logits.values()]).any())
        self._times.append(t_vec)
        return logits

    def raise_if_nonfinite(self) -> None:
        """Raise ValueError naming the call and t of the first NaN x0-logits (one host sync)."""
        if self._bad and bool(torch.stack(self._bad).any()):
            i = int(torch.stack(self._bad).nonzero()[0])
            raise ValueError(f"the denoiser returned NaN logits at call {i} (t = {float(self._times[i][0]):.6g})")
