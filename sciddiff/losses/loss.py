"""The denoising training loss: any target, weighting, time sampler, with per-element masks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Prediction
from sciddiff.losses.mixed import MixedLoss, resolve_option
from sciddiff.losses.time_sampling import TIME_SAMPLERS, TimeSampler
from sciddiff.losses.weighting import WEIGHTINGS, Weighting
from sciddiff.processes import Process
from sciddiff.state import NoiseSource, State, StateSpec


class DenoisingLoss:
    """L = E_t E_{x0, eps} w(t) ||D(alpha x0 + sigma eps, t) - x0||^2, evaluated in the network's own output
    space when the denoiser exposes ``regression`` (as :class:`NetworkDenoiser` does), else on x0.

    ``weighting``: "uniform" (plain MSE of the network output), "snr", "min_snr", "edm", "elbo" or a
    :class:`Weighting`. ``time_sampler``: "uniform", "lognormal", "logit_normal" or a :class:`TimeSampler`.
    ``reduction``: "mean" over real (unmasked) entries or "sum" (use "sum" with "elbo" for nats).
    Returns the per-sample loss, shape (B,).

    With a categorical or mixed process (a :class:`MixedProcess`, a :class:`CategoricalProcess` or a mapping
    leaf -> process) the call is handled by :class:`MixedLoss` with the same arguments, plus ``categorical``
    ("elbo" or "ce") and ``leaf_weights`` for the categorical leaves.
    """

    def __init__(
        self,
        process: Process,
        weighting: str | Weighting = "uniform",
        time_sampler: str | TimeSampler = "uniform",
        reduction: str = "mean",
        categorical: str = "elbo",
        leaf_weights: Mapping[str, float] | None = None,
    ) -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.mixed = (
            None
            if isinstance(process, Process)
            else MixedLoss(process, weighting, time_sampler, reduction, categorical, leaf_weights)
        )
        self.process, self.reduction = process, reduction
        self.weighting: Weighting = resolve_option(weighting, WEIGHTINGS, "weighting")
        self.time_sampler: TimeSampler = resolve_option(time_sampler, TIME_SAMPLERS, "time sampler")

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
        if self.mixed is not None:
            return self.mixed(denoiser, x0, spec=spec, generator=generator, t=t, cond=cond)
        spec = spec if spec is not None else StateSpec.of(x0)
        spec.require_continuous("DenoisingLoss")
        flat0 = spec.project_flat(spec.flatten(x0))
        b, dtype = flat0.shape[0], flat0.dtype
        noise = NoiseSource.of(generator, b, flat0.device)
        t = self.time_sampler.sample(self.process, b, noise) if t is None else t.to(torch.float64).expand(b)
        self.process.check_time(t, "training times")
        eps = spec.noise_flat(noise, dtype)
        alpha, sigma = (c.to(dtype).unsqueeze(1) for c in self.process.alpha_sigma(t))
        x_t = alpha * flat0 + sigma * eps
        like = x0
        args = (spec.unflatten(x_t, like), t.to(dtype))
        if hasattr(denoiser, "regression"):
            out, target, scale = denoiser.regression(
                *args, spec.unflatten(flat0, like), spec.unflatten(eps, like), **dict(cond or {})
            )
            out, target = spec.flatten(out), spec.flatten(target)
            scale = torch.as_tensor(scale, dtype=dtype).reshape(-1, *([1] * (x_t.dim() - 1)))
            scale = scale.reshape(scale.shape[0], -1)[:, :1] if scale.dim() > 1 else scale.reshape(-1, 1)
        else:
            pred = denoiser(*args, **dict(cond or {}))
            out = spec.flatten(pred.mean if isinstance(pred, Prediction) else pred)
            target, scale = flat0, torch.ones(1, 1, dtype=dtype, device=flat0.device)
        err = (out - target) ** 2
        mask = spec.flat_mask(b, dtype, flat0.device)
        if mask is not None:
            err = err * mask
        total = err.sum(1)
        if self.reduction == "mean":
            total = total / (mask.sum(1).clamp_min(1.0) if mask is not None else err.shape[1])
        w = self.weighting.x0_weight(self.process, t, self.time_sampler)
        if w is None:
            return total
        return total * w.to(dtype) / scale.reshape(-1) ** 2
