"""One training loss for categorical and mixed continuous/categorical states, with one denoiser call per batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers.categorical_output import split_prediction
from sciddiff.losses.categorical import OBJECTIVES, categorical_terms
from sciddiff.losses.time_sampling import TIME_SAMPLERS, TimeSampler
from sciddiff.losses.weighting import WEIGHTINGS, Weighting
from sciddiff.processes import MixedProcess
from sciddiff.state import NoiseSource, State, StateSpec, free_entries, tie

_F64 = torch.float64


def resolve_option(value: object, table: dict[str, type], what: str) -> Any:
    """An instance from a registered name (built with no arguments), or ``value`` itself."""
    if isinstance(value, str):
        if value not in table:
            raise ValueError(f"unknown {what} {value!r}; choose one of {sorted(table)}")
        return table[value]()
    return value


class MixedLoss:
    """L = L_continuous + sum_leaf lambda_leaf L_leaf at one time t per sample shared by all leaves.

    Each sample draws t (``time_sampler`` on the process' range), noises its continuous leaves as
    alpha x0 + sigma eps (inside the spec's constraints) and each categorical leaf with its own process at the same
    t, calls the denoiser once on the noisy mixed state, and adds:
    - for the continuous leaves, w(t) ||D - x0||^2 on x0 (``weighting`` as in :class:`DenoisingLoss`; "uniform"
      is the plain x0 error here);
    - for each categorical leaf, ``categorical`` ("elbo" or "ce", see :mod:`sciddiff.losses.categorical`) from
      the leaf's x0-logits; with "elbo" the integrand is divided by the time density p(t), so that with
      ``reduction="sum"`` the leaf's loss is an unbiased estimate of its negative ELBO in nats.
    ``reduction="mean"`` averages each leaf over its free entries (real ones; for symmetric pairs, each pair once);
    "sum" sums them. Padding is never noised nor counted; symmetric leaves are noised on the upper triangle and
    mirrored. ``leaf_weights`` gives lambda per categorical leaf (default 1).
    Returns the per-sample loss (B,).
    """

    def __init__(
        self,
        process: Any,
        weighting: str | Weighting = "uniform",
        time_sampler: str | TimeSampler = "uniform",
        reduction: str = "mean",
        categorical: str = "elbo",
        leaf_weights: Mapping[str, float] | None = None,
    ) -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        if categorical not in OBJECTIVES:
            raise ValueError(f"unknown categorical objective {categorical!r}; choose one of {list(OBJECTIVES)}")
        self.process = MixedProcess.of(process)
        self.reduction, self.objective = reduction, categorical
        self.weighting: Weighting = resolve_option(weighting, WEIGHTINGS, "weighting")
        self.time_sampler: TimeSampler = resolve_option(time_sampler, TIME_SAMPLERS, "time sampler")
        self.leaf_weights = dict(leaf_weights or {})
        unknown = set(self.leaf_weights) - set(self.process.categorical)
        if unknown:
            raise ValueError(f"leaf_weights for unknown categorical leaves {sorted(unknown)}")

    @property
    def _clock(self) -> Any:
        """The object that defines t's range (and density) for the time sampler."""
        return self.process.continuous if self.process.continuous is not None else self.process

    def __call__(
        self,
        denoiser: Any,
        x0: State,
        *,
        spec: StateSpec | None = None,
        generator: object = None,
        t: Tensor | None = None,
        cond: Mapping[str, Any] | None = None,
    ) -> Tensor:
        proc = self.process
        spec = spec if spec is not None else proc.spec_for(x0)
        proc.check_spec(spec)
        leaves = spec.as_leaves(x0)
        ref = next(iter(leaves.values()))
        b, device = ref.shape[0], ref.device
        dtype = leaves[spec.continuous[0]].dtype if spec.continuous else torch.get_default_dtype()
        noise = NoiseSource.of(generator, b, device)
        t = self.time_sampler.sample(self._clock, b, noise) if t is None else t.to(_F64).expand(b)
        proc.check_time(t, "training times")
        noisy = dict(leaves)
        flat0 = None
        if spec.continuous:
            assert proc.continuous is not None
            flat0 = spec.project_flat(spec.flatten(x0))
            eps = spec.noise_flat(noise, dtype)
            alpha, sigma = (c.to(dtype).unsqueeze(1) for c in proc.continuous.alpha_sigma(t))
            noisy.update(spec.as_leaves(spec.unflatten(alpha * flat0 + sigma * eps, like=x0)))
        free = {k: free_entries(spec.leaves[k], spec.masks.get(k), leaves[k]) for k in spec.categorical}
        for k in spec.categorical:
            noisy[k] = tie(proc.categorical[k].add_noise(leaves[k], t, noise, free[k]), spec.leaves[k])
        out = denoiser(spec.from_leaves(noisy), t.to(dtype), **dict(cond or {}))
        means, logits = split_prediction(out, spec, b)
        total = torch.zeros(b, dtype=_F64, device=device)
        if flat0 is not None:
            total = total + self._continuous(spec, means, flat0, t).to(_F64)
        inv_density = torch.exp(-self.time_sampler.log_density(self._clock, t)) if self.objective == "elbo" else None
        for k in spec.categorical:
            terms = categorical_terms(proc.categorical[k], logits[k], leaves[k], noisy[k], t, self.objective)
            terms = torch.where(free[k], terms, 0.0)
            per_sample = terms.reshape(b, -1).sum(1)
            if self.reduction == "mean":
                per_sample = per_sample / free[k].reshape(b, -1).sum(1).clamp_min(1)
            if inv_density is not None:
                per_sample = per_sample * inv_density
            total = total + self.leaf_weights.get(k, 1.0) * per_sample
        return total.to(dtype)

    def _continuous(self, spec: StateSpec, means: dict[str, Tensor], flat0: Tensor, t: Tensor) -> Tensor:
        """The weighted x0 error of the continuous leaves, per sample."""
        b = flat0.shape[0]
        out = torch.cat([means[k].reshape(b, -1) for k in spec.continuous], dim=1).to(flat0.dtype)
        err = (out - flat0) ** 2
        mask = spec.flat_mask(b, flat0.dtype, flat0.device)
        if mask is not None:
            err = err * mask
        total = err.sum(1)
        if self.reduction == "mean":
            total = total / (mask.sum(1).clamp_min(1.0) if mask is not None else err.shape[1])
        w = self.weighting.x0_weight(self.process.continuous, t, self.time_sampler)  # type: ignore[arg-type]
        return total if w is None else total * w.to(total.dtype)
