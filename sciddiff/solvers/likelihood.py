"""Log-likelihood through the probability-flow ODE, with exact or Hutchinson divergence.

In y = x/alpha and rho = log(sigma/alpha) the flow is dy/drho = f = y - D(alpha y, t). Integrating
dl/drho = div f from rho_min to rho_max gives log p_{t_min}(x) = log N(y_max; 0, s_max^2) + l - n log alpha_min,
with n the state's (masked, constrained) dimension. Song et al. (2021), arXiv:2011.13456, Sec. 4.3;
Hutchinson's estimator as in Grathwohl et al., "FFJORD" (2018), arXiv:1810.01367.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost
from sciddiff.processes import Process
from sciddiff.solvers.dopri5 import dopri5
from sciddiff.solvers.integrate import check_state
from sciddiff.solvers.model import FlatModel
from sciddiff.state import NoiseSource, State, StateSpec


@dataclass
class LikelihoodInfo:
    """Per-sample log-density (nats), bits per dimension, dimension used, and the cost of the solve."""

    log_prob: Tensor
    bits_per_dim: Tensor
    dim: Tensor
    cost: Cost


def log_likelihood(
    denoiser: Any,
    process: Process,
    x: State,
    *,
    divergence: str = "auto",
    n_probes: int = 1,
    rtol: float = 1e-5,
    atol: float = 1e-5,
    generator: object = None,
    keep_graph: bool = False,
    spec: StateSpec | None = None,
    cond: Mapping[str, Any] | None = None,
    prior_log_prob: Callable[[State], Tensor] | None = None,
    return_info: bool = False,
) -> Tensor | tuple[Tensor, LikelihoodInfo]:
    """log p_{t_min}(x) in nats, shape (B,), for x regarded as a state at t_min.

    ``divergence``: "exact" (one vector-Jacobian product per dimension), "hutchinson" (``n_probes`` Rademacher
    probes drawn once per sample, inside the spec's subspace) or "auto" (exact up to 32 dimensions).
    ``keep_graph=True`` keeps the autograd graph, so the result can be differentiated with respect to x and to
    the denoiser's parameters. ``prior_log_prob`` replaces the reference prior N(0, sigma(t_max)^2 I) by any
    log-density of x at t_max. ``return_info=True`` also returns bits/dim = -log p / (n ln 2).
    """
    if not isinstance(process, Process):
        raise ValueError(f"process must be a sciddiff Process, got {process!r}")
    if divergence not in ("auto", "exact", "hutchinson"):
        raise ValueError(f"divergence must be 'auto', 'exact' or 'hutchinson', got {divergence!r}")
    if n_probes < 1:
        raise ValueError(f"n_probes must be >= 1, got {n_probes}")
    check_state(x)
    spec = spec if spec is not None else StateSpec.of(x)
    spec.require_continuous("log_likelihood")
    z = spec.project_flat(spec.flatten(x))
    b, d = z.shape
    exact = divergence == "exact" or (divergence == "auto" and d <= 32)
    n = spec.dim(x).to(z.dtype)
    cost = Cost()
    model = FlatModel(denoiser, spec, x, dict(cond or {}), cost)
    if exact:
        eye = torch.eye(d, dtype=z.dtype, device=z.device)
        probes = [spec.project_flat(eye[i].expand(b, d)) for i in range(d)]
    else:
        src = NoiseSource.of(generator, b, z.device)
        probes = [spec.project_flat(src.rademacher((d,), z.dtype)) for _ in range(n_probes)]
    scale = 1.0 if exact else 1.0 / n_probes

    def rhs(state: Tensor, rho: Tensor) -> Tensor:
        t = process.t_of_noise_ratio(torch.exp(rho))
        alpha = process.alpha(t).to(z.dtype).unsqueeze(1)
        with torch.enable_grad():
            y = state[:, :d]
            if not (keep_graph and y.requires_grad):
                y = y.detach().requires_grad_(True)
            f = y - model(alpha * y, t.to(z.dtype), step=cost.nfe)
            div = torch.zeros(b, dtype=z.dtype, device=z.device)
            for i, v in enumerate(probes):
                (vjp,) = torch.autograd.grad(
                    f, y, v, create_graph=keep_graph, retain_graph=i < len(probes) - 1 or keep_graph
                )
                div = div + scale * (vjp * v).sum(1)
                cost.vjp += 1
        out = torch.cat([f, div.unsqueeze(1)], dim=1)
        return out if keep_graph else out.detach()

    t_end = torch.tensor([process.t_min, process.t_max], dtype=torch.float64, device=z.device)
    alpha_end, sigma_end = process.alpha_sigma(t_end)
    rho = torch.log(sigma_end / alpha_end)
    state0 = torch.cat([z / alpha_end[0].to(z.dtype), torch.zeros(b, 1, dtype=z.dtype, device=z.device)], 1)
    final, _ = dopri5(rhs, state0, rho[0].expand(b), rho[1].expand(b), rtol, atol)
    model.raise_if_nonfinite()
    a_min, a_max = (float(a) for a in alpha_end)
    x_max, delta = final[:, :d] * a_max, final[:, d]
    if prior_log_prob is None:
        s2 = float(sigma_end[1]) ** 2
        log_prior = -0.5 * spec.inner_flat(x_max, x_max) / s2 - 0.5 * n * math.log(2 * math.pi * s2)
    else:
        log_prior = prior_log_prob(spec.unflatten(x_max, like=x))
    log_p = log_prior + delta + n * (math.log(a_max) - math.log(a_min))
    if not return_info:
        return log_p
    return log_p, LikelihoodInfo(log_p, -log_p / (n * math.log(2.0)), n, cost)
