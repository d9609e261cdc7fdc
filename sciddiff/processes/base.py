"""Continuous-time Gaussian forward processes x_t = alpha(t) x_0 + sigma(t) eps.

Every coefficient is computed in float64 (float32 on devices without float64) and returned in the caller's
dtype and device. ``log_snr(t) = log(alpha^2 / sigma^2)`` is strictly decreasing on [t_min, t_max], where it is
finite. Song et al., "Score-Based Generative Modeling through Stochastic Differential Equations" (2021),
arXiv:2011.13456.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from sciddiff.state.noise import NoiseSource


def compute_dtype(device: torch.device) -> torch.dtype:
    """float64 where the device has it; float32 on Apple MPS, which lacks float64 (documented fallback)."""
    return torch.float32 if device.type == "mps" else torch.float64


def as_time(t: Tensor | float, like: Tensor | None = None) -> Tensor:
    """``t`` as a floating tensor (keeping its dtype and device, or those of ``like`` for Python floats)."""
    if isinstance(t, Tensor):
        return t if t.is_floating_point() else t.to(torch.get_default_dtype())
    dtype = like.dtype if like is not None and like.is_floating_point() else torch.get_default_dtype()
    device = like.device if like is not None else None
    return torch.tensor(float(t), dtype=dtype, device=device)


class Process(ABC):
    """Base class: subclasses give alpha and sigma in float64; the rest follows."""

    name: str = "process"
    t_min: float
    t_max: float

    # ------------------------------------------------------------------ subclass hooks (float64 in, out)
    @abstractmethod
    def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """alpha(t), sigma(t)."""

    def _log_snr(self, t: Tensor) -> Tensor:
        alpha, sigma = self._alpha_sigma(t)
        return 2.0 * (torch.log(alpha) - torch.log(sigma))

    def _derivatives(self, t: Tensor) -> tuple[Tensor, Tensor]:
        """d alpha / dt and d sigma / dt, by autograd unless a subclass knows them in closed form."""
        with torch.enable_grad():
            tt = t.detach().requires_grad_(True)
            alpha, sigma = self._alpha_sigma(tt)
            grads = [torch.autograd.grad(c.sum(), tt, allow_unused=True, retain_graph=True)[0] for c in (alpha, sigma)]
        da, ds = (torch.zeros_like(t) if g is None else g.detach() for g in grads)
        return da, ds

    def _t_of_log_snr(self, lam: Tensor) -> Tensor:
        """Inverse of log-SNR by bisection on [t_min, t_max] (subclasses override with closed forms)."""
        lo = torch.full_like(lam, self.t_min)
        hi = torch.full_like(lam, self.t_max)
        for _ in range(64 if lam.dtype == torch.float64 else 32):
            mid = 0.5 * (lo + hi)
            above = self._log_snr(mid) > lam  # log-SNR decreases, so the root lies above mid
            lo = torch.where(above, mid, lo)
            hi = torch.where(above, hi, mid)
        return 0.5 * (lo + hi)

    # ------------------------------------------------------------------ public, dtype-preserving API
    def _run(self, fn, t: Tensor | float, *args: Tensor):  # type: ignore[no-untyped-def]
        t = as_time(t)
        work = compute_dtype(t.device)
        out = fn(t.to(work), *(a.to(work) for a in args))
        if isinstance(out, tuple):
            return tuple(o.to(t.dtype) for o in out)
        return out.to(t.dtype)

    def alpha(self, t: Tensor | float) -> Tensor:
        """alpha(t)."""
        return self._run(lambda s: self._alpha_sigma(s)[0], t)

    def sigma(self, t: Tensor | float) -> Tensor:
        """sigma(t)."""
        return self._run(lambda s: self._alpha_sigma(s)[1], t)

    def alpha_sigma(self, t: Tensor | float) -> tuple[Tensor, Tensor]:
        """(alpha(t), sigma(t)) in one call."""
        return self._run(self._alpha_sigma, t)

    def derivatives(self, t: Tensor | float) -> tuple[Tensor, Tensor]:
        """(d alpha/dt, d sigma/dt)."""
        return self._run(self._derivatives, t)

    def log_snr(self, t: Tensor | float) -> Tensor:
        """log(alpha^2 / sigma^2)."""
        return self._run(self._log_snr, t)

    def t_of_log_snr(self, lam: Tensor | float) -> Tensor:
        """The time at which log-SNR equals ``lam`` (inverse of :meth:`log_snr`)."""
        return self._run(self._t_of_log_snr, lam)

    def t_of_noise_ratio(self, s: Tensor | float) -> Tensor:
        """The time at which sigma/alpha equals ``s`` (EDM's sigma for the rescaled state x / alpha)."""
        return self._run(lambda v: self._t_of_log_snr(-2.0 * torch.log(v)), s)

    # ------------------------------------------------------------------ SDE view
    def drift_diffusion(self, t: Tensor | float) -> tuple[Tensor, Tensor]:
        """f(t) and g(t)^2 of the forward SDE dx = f x dt + g dW.

        f = alpha'/alpha and g^2 = 2 sigma sigma' - 2 f sigma^2 = -sigma^2 d(log-SNR)/dt.
        """

        def fn(s: Tensor) -> tuple[Tensor, Tensor]:
            alpha, sigma = self._alpha_sigma(s)
            da, ds = self._derivatives(s)
            f = da / alpha
            return f, 2.0 * sigma * ds - 2.0 * f * sigma**2

        return self._run(fn, t)

    def _broadcast(self, c: Tensor, x: Tensor) -> Tensor:
        return c.to(x.dtype).reshape(c.shape + (1,) * (x.dim() - c.dim()))

    def score(self, x: Tensor, t: Tensor, x0_hat: Tensor) -> Tensor:
        """Score grad log p_t(x) from the denoiser output by Tweedie: (alpha x0_hat - x) / sigma^2."""
        alpha, sigma = (self._broadcast(c, x) for c in self.alpha_sigma(t))
        return (alpha * x0_hat - x) / sigma**2

    def pf_ode(self, x: Tensor, t: Tensor, x0_hat: Tensor) -> Tensor:
        """Probability-flow ODE velocity dx/dt = f x - g^2 score / 2."""
        f, g2 = (self._broadcast(c, x) for c in self.drift_diffusion(t))
        return f * x - 0.5 * g2 * self.score(x, t, x0_hat)

    def reverse_sde(self, x: Tensor, t: Tensor, x0_hat: Tensor) -> tuple[Tensor, Tensor]:
        """Reverse-time SDE dx = (f x - g^2 score) dt + g dW_bar: returns (drift, g)."""
        f, g2 = (self._broadcast(c, x) for c in self.drift_diffusion(t))
        return f * x - g2 * self.score(x, t, x0_hat), g2.clamp_min(0).sqrt()

    # ------------------------------------------------------------------ sampling helpers
    def add_noise(self, x0: Tensor, t: Tensor | float, eps: Tensor) -> Tensor:
        """x_t = alpha(t) x0 + sigma(t) eps, with t a scalar or a per-sample (B,) tensor."""
        t = as_time(t, x0)
        alpha, sigma = (self._broadcast(c, x0) for c in self.alpha_sigma(t.to(x0.dtype)))
        return alpha * x0 + sigma * eps

    def prior_std(self) -> float:
        """Standard deviation of the reference prior at t_max: N(0, sigma(t_max)^2 I)."""
        return float(self._alpha_sigma(torch.tensor(self.t_max, dtype=torch.float64))[1])

    def prior_sample(
        self,
        shape: Sequence[int],
        generator: object = None,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str = "cpu",
    ) -> Tensor:
        """x ~ N(0, sigma(t_max)^2 I), shape (B, ...), with per-sample seeds when ``generator`` is an int."""
        src = NoiseSource.of(generator, shape[0], device)
        return src.randn(tuple(shape[1:]), dtype) * self.prior_std()

    def prior_log_prob(self, x: Tensor) -> Tensor:
        """log N(x; 0, sigma(t_max)^2 I) summed over all but the batch axis."""
        s = self.prior_std()
        flat = x.reshape(x.shape[0], -1)
        return -0.5 * (flat**2).sum(1) / s**2 - flat.shape[1] * (math.log(s) + 0.5 * math.log(2 * math.pi))

    def check_time(self, t: Tensor, what: str = "t") -> None:
        """Raise ValueError when any t lies outside [t_min, t_max] (one host sync)."""
        check_time_range(self, t, what)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(t_min={self.t_min:g}, t_max={self.t_max:g})"


def check_time_range(process: Any, t: Tensor, what: str = "t") -> None:
    """Raise ValueError when any t lies outside [process.t_min, process.t_max] (one host sync); shared by the
    Gaussian, categorical and mixed processes."""
    lo, hi = float(t.min()), float(t.max())
    tol = 1e-9 * max(1.0, abs(process.t_max))
    if lo < process.t_min - tol or hi > process.t_max + tol:
        raise ValueError(
            f"{what} must lie in [t_min, t_max] = [{process.t_min:g}, {process.t_max:g}] of {process!r}; "
            f"got values in [{lo:g}, {hi:g}]"
        )
