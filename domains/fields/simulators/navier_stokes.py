"""2-D incompressible Navier-Stokes in vorticity form on the periodic unit square, pseudo-spectral, float64.

dw/dt + u . grad w = nu Laplacian w + f,   u = (d psi/dy, -d psi/dx),   -Laplacian psi = w.

The advection term is computed in physical space from spectral derivatives and de-aliased by the 2/3 rule
(Orszag, "On the Elimination of Aliasing in Finite-Difference Schemes by Filtering High-Wavenumber
Components", J. Atmos. Sci. 1971): it keeps |k_x|, |k_y| < size / 3, which makes it an exact Galerkin
projection for band-limited fields, so with nu = 0 and f = 0 energy and enstrophy are conserved up to the time
error. Time stepping: the integrating-factor (Lawson) fourth-order Runge-Kutta scheme for the advection, with
the linear part dw/dt = nu Laplacian w + f integrated exactly (so viscous decay and the laminar forced state
are exact). Lawson, "Generalized Runge-Kutta Processes for Stable Systems with Large Lipschitz Constants", SIAM J.
Numer. Anal. 1967. Set-up (forcing, viscosity, random initial vorticity) after Li et al., "Fourier Neural
Operator for Parametric Partial Differential Equations" (2020), arXiv:2010.08895.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence

import numpy as np
import torch
import xarray as xr
from sciddiff.domains.fields.simulators.grf import periodic_grf
from torch import Tensor

from sciddiff.operators import BlackBox
from sciddiff.train.cache import cached

F64 = torch.float64


def periodic_coordinates(size: int) -> Tensor:
    """The grid x_j = j / size, j = 0..size-1, of the periodic unit square."""
    return torch.arange(size, dtype=F64) / size


def kolmogorov_forcing(size: int) -> Tensor:
    """FNO's forcing f(x, y) = 0.1 (sin(2 pi (x + y)) + cos(2 pi (x + y))) on the (y, x) grid."""
    x = periodic_coordinates(size)
    s = 2 * math.pi * (x[:, None] + x[None, :])
    return 0.1 * (torch.sin(s) + torch.cos(s))


class NavierStokes2D:
    """The solver on a size x size periodic grid (rows y, columns x); fields are (B, size, size) tensors.

    ``forcing`` is a (size, size) field (None: unforced); ``dt`` is the largest time step, reduced so that each
    requested time is reached exactly.
    """

    def __init__(
        self, size: int = 64, viscosity: float = 1e-3, forcing: Tensor | None = None, dt: float = 1e-2
    ) -> None:
        if size < 4 or size % 2:
            raise ValueError(f"the Navier-Stokes grid needs an even size >= 4, got size={size}")
        if viscosity < 0 or not dt > 0:
            raise ValueError(f"need viscosity >= 0 and dt > 0, got viscosity={viscosity}, dt={dt}")
        self.size, self.viscosity, self.dt = size, float(viscosity), float(dt)
        fy = torch.fft.fftfreq(size, 1.0 / size, dtype=F64)[:, None]
        fx = torch.fft.rfftfreq(size, 1.0 / size, dtype=F64)[None, :]
        k2 = 4 * math.pi**2 * (fx**2 + fy**2)
        self.k2 = k2
        self.inv_k2 = torch.where(k2 > 0, 1.0 / torch.where(k2 > 0, k2, 1.0), torch.zeros_like(k2))
        # first-derivative wavenumbers, zero at the Nyquist frequency (whose derivative is not real-representable)
        self.ky = torch.where(fy.abs() == size // 2, 0.0, 2 * math.pi * fy)
        self.kx = torch.where(fx == size // 2, 0.0, 2 * math.pi * fx)
        cut = size / 3
        self.dealias = (fy.abs() < cut) & (fx < cut)
        if forcing is None:
            self.forcing_hat = torch.zeros(size, size // 2 + 1, dtype=torch.complex128)
        else:
            forcing = torch.as_tensor(forcing, dtype=F64)
            if tuple(forcing.shape) != (size, size):
                raise ValueError(f"forcing has shape {tuple(forcing.shape)}; the grid is ({size}, {size})")
            self.forcing_hat = torch.fft.rfft2(forcing)

    # ------------------------------------------------------------------ spectral pieces
    def velocity(self, w: Tensor) -> tuple[Tensor, Tensor]:
        """(u, v) = (d psi/dy, -d psi/dx) with -Laplacian psi = w (the mean of w carries no flow)."""
        psi_hat = torch.fft.rfft2(w) * self.inv_k2
        n = (self.size, self.size)
        return torch.fft.irfft2(1j * self.ky * psi_hat, s=n), torch.fft.irfft2(-1j * self.kx * psi_hat, s=n)

    def _nonlinear(self, w_hat: Tensor) -> Tensor:
        """FFT of -u . grad w, de-aliased."""
        n = (self.size, self.size)
        psi_hat = w_hat * self.inv_k2
        u = torch.fft.irfft2(1j * self.ky * psi_hat, s=n)
        v = torch.fft.irfft2(-1j * self.kx * psi_hat, s=n)
        wx = torch.fft.irfft2(1j * self.kx * w_hat, s=n)
        wy = torch.fft.irfft2(1j * self.ky * w_hat, s=n)
        return -torch.fft.rfft2(u * wx + v * wy) * self.dealias

    def tendency(self, w: Tensor) -> Tensor:
        """dw/dt = -u . grad w + nu Laplacian w + f at the (B, size, size) state w."""
        w_hat = torch.fft.rfft2(self._check(w))
        total = self._nonlinear(w_hat) - self.viscosity * self.k2 * w_hat + self.forcing_hat
        return torch.fft.irfft2(total, s=(self.size, self.size))

    def _forced_decay(self, tau: float) -> tuple[Tensor, Tensor]:
        """(e^{L tau}, p(tau)) for L = -nu |k|^2: dw/dt = L w + f from w is e^{L tau} w + p(tau), exactly."""
        lt = -self.viscosity * self.k2 * tau
        phi1 = torch.where(lt != 0, torch.expm1(lt) / torch.where(lt != 0, lt, 1.0), torch.ones_like(lt))
        return torch.exp(lt), tau * phi1 * self.forcing_hat

    def _step(self, w_hat: Tensor, dt: float) -> Tensor:
        """Lawson RK4 for the advection, with the viscous and forcing terms integrated exactly."""
        e_half, p_half = self._forced_decay(dt / 2)
        e_full, p_full = self._forced_decay(dt)
        k1 = self._nonlinear(w_hat)
        k2 = self._nonlinear(e_half * (w_hat + (dt / 2) * k1) + p_half)
        k3 = self._nonlinear(e_half * w_hat + (dt / 2) * k2 + p_half)
        k4 = self._nonlinear(e_full * w_hat + dt * e_half * k3 + p_full)
        return e_full * w_hat + (dt / 6) * (e_full * k1 + 2 * e_half * (k2 + k3) + k4) + p_full

    def _check(self, w: Tensor) -> Tensor:
        if w.dim() != 3 or tuple(w.shape[1:]) != (self.size, self.size):
            raise ValueError(f"vorticity has shape {tuple(w.shape)}; expected (B, {self.size}, {self.size})")
        if not bool(torch.isfinite(w).all()):
            raise ValueError("vorticity has non-finite values")
        return w.to(F64)

    # ------------------------------------------------------------------ integration
    def simulate(self, w0: Tensor, t_final: float) -> Tensor:
        """The vorticity at time ``t_final`` from the (B, size, size) initial vorticity ``w0``."""
        return self.trajectory(w0, [t_final])[:, 0]

    def trajectory(self, w0: Tensor, times: Sequence[float]) -> Tensor:
        """(B, len(times), size, size) vorticity at the increasing times >= 0, starting from ``w0`` at t = 0."""
        times = [float(t) for t in times]
        if any(t < 0 for t in times) or any(b < a for a, b in itertools.pairwise(times)):
            raise ValueError(f"times must be >= 0 and non-decreasing, got {times}")
        w_hat = torch.fft.rfft2(self._check(w0))
        out, now = [], 0.0
        for t in times:
            steps = math.ceil((t - now) / self.dt - 1e-9)
            for _ in range(steps):
                w_hat = self._step(w_hat, (t - now) / steps)
            now = t
            if not bool(torch.isfinite(w_hat).all()):
                raise ValueError(f"the Navier-Stokes run blew up before t = {t} with dt = {self.dt}; reduce dt")
            out.append(torch.fft.irfft2(w_hat, s=(self.size, self.size)))
        return torch.stack(out, 1) if out else w0.new_zeros(w0.shape[0], 0, self.size, self.size)

    def as_operator(self, t_final: float) -> BlackBox:
        """The map w0 -> w(t_final) as a forward-only operator on (B, size, size) fields."""
        shape = (self.size, self.size)
        return BlackBox(lambda w0: self.simulate(w0, t_final).to(w0.dtype), shape, shape, name=f"NS(t={t_final})")

    # ------------------------------------------------------------------ invariants
    def energy(self, w: Tensor) -> Tensor:
        """Kinetic energy (1/2) mean(|u|^2) per sample."""
        u, v = self.velocity(self._check(w))
        return 0.5 * (u**2 + v**2).mean((-2, -1))

    def enstrophy(self, w: Tensor) -> Tensor:
        """(1/2) mean(w^2) per sample."""
        return 0.5 * (self._check(w) ** 2).mean((-2, -1))


def navier_stokes_dataset(
    n: int,
    seed: int,
    size: int = 64,
    viscosity: float = 1e-3,
    t_final: float = 10.0,
    n_times: int = 11,
    dt: float = 1e-2,
    alpha: float = 2.5,
    tau: float = 7.0,
) -> xr.Dataset:
    """n trajectories under the Kolmogorov-style forcing from periodic GRF initial vorticity (FNO's amplitude:
    covariance 2 tau^(2 alpha - 2) (-Laplacian + tau^2)^(-alpha), zero mean), recorded at ``n_times`` equally spaced times in [0, t_final]: ``vorticity`` with dims
    (sample, time, y, x)."""
    if n_times < 1:
        raise ValueError(f"n_times must be >= 1, got {n_times}")
    solver = NavierStokes2D(size, viscosity, kolmogorov_forcing(size), dt)
    g = torch.Generator().manual_seed(seed)
    w0 = periodic_grf(n, size, g, alpha, tau, scale=math.sqrt(2) * tau ** (alpha - 1))
    times = np.linspace(0.0, t_final, n_times)
    w = solver.trajectory(w0, times.tolist()).numpy()
    coord = periodic_coordinates(size).numpy()
    return xr.Dataset(
        {"vorticity": (("sample", "time", "y", "x"), w, {"long_name": "vorticity", "units": "1/s"})},
        coords={
            "sample": np.arange(n),
            "time": ("time", times, {"units": "s"}),
            "y": ("y", coord, {"units": "1", "long_name": "y (periodic unit square)"}),
            "x": ("x", coord, {"units": "1", "long_name": "x (periodic unit square)"}),
        },
        attrs={"title": "2-D Navier-Stokes vorticity, Kolmogorov-style forcing", "viscosity": viscosity, "seed": seed},
    )


def load_navier_stokes(
    n: int,
    seed: int,
    size: int = 64,
    viscosity: float = 1e-3,
    t_final: float = 10.0,
    n_times: int = 11,
    dt: float = 1e-2,
    alpha: float = 2.5,
    tau: float = 7.0,
    directory: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """:func:`navier_stokes_dataset`, cached as netCDF."""
    params = {
        "n": n, "seed": seed, "size": size, "viscosity": viscosity, "t_final": t_final,
        "n_times": n_times, "dt": dt, "alpha": alpha, "tau": tau,
    }  # fmt: skip
    build = lambda: navier_stokes_dataset(n, seed, size, viscosity, t_final, n_times, dt, alpha, tau)  # noqa: E731
    return cached("navier_stokes", params, build, directory)
