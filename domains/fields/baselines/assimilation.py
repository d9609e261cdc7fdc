"""Classical baselines for nonlinear inverse problems with a Gaussian prior and a black-box (or differentiable)
forward model y = G(x) + N(0, s^2 I): the ensemble smoother with multiple data assimilation (derivative-free) and
the variational MAP estimate (adjoint 4D-Var)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Forward = Callable[[Tensor], Tensor]


def es_mda(
    forward: Forward, ensemble: Tensor, y: Tensor, noise_std: float, iterations: int = 4, seed: int = 0
) -> Tensor:
    """Ensemble smoother with multiple data assimilation: ``iterations`` Kalman updates of the prior ensemble
    (M, *shape), each with the noise variance inflated by ``iterations`` and perturbed observations,
      x_j <- x_j + C_xG (C_GG + a s^2 I)^-1 (y + sqrt(a) s e_j - G(x_j)),   a = iterations,
    with C_xG, C_GG the ensemble (cross-)covariances. Exact for a linear G and a Gaussian prior as M grows
    (then it equals one Kalman update). ``forward`` maps (M, *shape) to (M, *y.shape). Emerick & Reynolds,
    "Ensemble smoother with multiple data assimilation" (2013), Computers & Geosciences 55."""
    if iterations < 1 or ensemble.shape[0] < 2:
        raise ValueError(f"es_mda needs iterations >= 1 and >= 2 members, got {iterations} and {ensemble.shape[0]}")
    g = torch.Generator().manual_seed(seed)
    x = ensemble.reshape(ensemble.shape[0], -1).double()
    obs = y.reshape(-1).double()
    a = float(iterations)
    for _ in range(iterations):
        pred = forward(x.reshape(ensemble.shape)).reshape(x.shape[0], -1).double()
        dx, dg = x - x.mean(0), pred - pred.mean(0)
        m = x.shape[0] - 1
        system = dg.T @ dg / m + a * noise_std**2 * torch.eye(dg.shape[1], dtype=x.dtype)
        innovation = obs + (a**0.5) * noise_std * torch.randn(pred.shape, generator=g, dtype=x.dtype) - pred
        x = x + (dx.T @ (dg @ torch.linalg.solve(system, innovation.T)) / m).T
    return x.reshape(ensemble.shape).to(ensemble.dtype)


def variational_map(
    forward: Forward,
    colour: Callable[[Tensor], Tensor],
    y: Tensor,
    noise_std: float,
    z_shape: tuple[int, ...],
    iterations: int = 50,
) -> Tensor:
    """MAP estimate x = L z* of the prior x = L z, z ~ N(0, I), given y: z* minimises
      J(z) = |G(L z) - y|^2 / (2 s^2) + |z|^2 / 2
    by L-BFGS with gradients through ``forward`` (the adjoint method, by automatic differentiation). ``colour``
    maps z (1, *z_shape) to x. Exact for a linear G (the posterior mean). Le Dimet & Talagrand, "Variational
    algorithms for analysis and assimilation of meteorological observations" (1986), Tellus A 38."""
    z = torch.zeros(1, *z_shape, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS(
        [z], lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-14
    )
    target = y.double()

    def objective() -> Tensor:
        opt.zero_grad()
        loss = (forward(colour(z)) - target).square().sum() / (2 * noise_std**2) + 0.5 * z.square().sum()
        loss.backward()
        return loss

    opt.step(objective)
    with torch.no_grad():
        return colour(z)[0]
