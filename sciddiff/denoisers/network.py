"""Wrap a network that predicts eps, x0, v, velocity or score into a denoiser (x_t, t, **cond) -> E[x0 | x_t]."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from sciddiff.denoisers.preconditioning import edm_scaling
from sciddiff.denoisers.targets import Coefficients, check_target, target_value, to_x0, x0_error_scale
from sciddiff.processes import Process


class NetworkDenoiser(nn.Module):
    """D(x_t, t) from ``net(x_in, c_noise, **cond)``, where the network's output is a prediction of ``target``.

    ``preconditioning="edm"`` feeds ``x_in = c_in x_t`` and ``c_noise = -log-SNR / 8`` (EDM's log(sigma)/4 for
    any process); for ``target="x0"`` the output is also skip-connected, D = c_skip x_t/alpha + c_out F.
    ``preconditioning=None`` feeds x_t and t unchanged. Karras et al. (2022), arXiv:2206.00364.
    """

    def __init__(
        self,
        net: nn.Module,
        process: Process,
        target: str = "x0",
        preconditioning: str | None = "edm",
        sigma_data: float = 0.5,
    ) -> None:
        super().__init__()
        check_target(target)
        if preconditioning not in ("edm", None):
            raise ValueError(f"preconditioning must be 'edm' or None, got {preconditioning!r}")
        self.net, self.process, self.target = net, process, target
        self.preconditioning, self.sigma_data = preconditioning, sigma_data

    def coefficients(self, t: Tensor, x: Tensor) -> Coefficients:
        """Per-sample alpha, sigma (and derivatives for velocity) shaped to broadcast against x."""
        shape = (-1,) + (1,) * (x.dim() - 1)
        t = t.to(x.dtype)
        alpha, sigma = (c.reshape(shape) for c in self.process.alpha_sigma(t))
        if self.target != "velocity":
            return Coefficients(alpha, sigma)
        da, ds = (c.reshape(shape) for c in self.process.derivatives(t))
        return Coefficients(alpha, sigma, da, ds)

    def raw(self, x_t: Tensor, t: Tensor, **cond: Any) -> Tensor:
        """The network output itself (before any conversion to x0)."""
        if self.preconditioning is None:
            return self.net(x_t, t, **cond)
        c = self.coefficients(t, x_t)
        sc = edm_scaling(c.alpha, c.sigma, self.sigma_data)
        return self.net(sc.c_in * x_t, sc.c_noise.reshape(-1), **cond)

    def forward(self, x_t: Tensor, t: Tensor, **cond: Any) -> Tensor:
        out = self.raw(x_t, t, **cond)
        c = self.coefficients(t, x_t)
        if self.target == "x0" and self.preconditioning == "edm":
            sc = edm_scaling(c.alpha, c.sigma, self.sigma_data)
            return sc.c_skip * x_t / c.alpha + sc.c_out * out
        return to_x0(out, self.target, x_t, c)

    def regression(self, x_t: Tensor, t: Tensor, x0: Tensor, eps: Tensor, **cond: Any) -> tuple[Tensor, Tensor, Tensor]:
        """(network output, its regression target, x0-error scale) for a training pair.

        An x0 error delta equals a network-output error of ``+-scale * delta`` (the sign depends on the target),
        so a loss weighted by w(t) on the x0 error is w(t) / scale^2 times the squared error of the output.
        """
        out = self.raw(x_t, t, **cond)
        c = self.coefficients(t, x_t)
        if self.target == "x0" and self.preconditioning == "edm":
            sc = edm_scaling(c.alpha, c.sigma, self.sigma_data)
            return out, (x0 - sc.c_skip * x_t / c.alpha) / sc.c_out, 1.0 / sc.c_out
        scale = x0_error_scale(self.target, c)
        return out, target_value(self.target, x0, eps, c), torch.as_tensor(scale, dtype=x_t.dtype)
