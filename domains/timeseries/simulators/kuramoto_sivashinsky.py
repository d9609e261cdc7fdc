"""Kuramoto-Sivashinsky u_t + u u_x + u_xx + u_xxxx = 0 on a periodic domain [0, L), by ETDRK4.

Kassam & Trefethen, "Fourth-order time-stepping for stiff PDEs" (SIAM J. Sci. Comput., 2005): exponential
time differencing RK4 (Cox & Matthews 2002) with phi-function coefficients evaluated by contour integrals.
In Fourier space v_t = L v + N(v) with L = k^2 - k^4 and N(v) = -(i k / 2) FFT(u^2).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from sciddiff.domains.timeseries.simulators.integrators import check_steps


class ETDRK4:
    """ETDRK4 stepper of step ``h`` for KS on ``n_points`` equispaced points of [0, length), on rfft coefficients.

    ``dealias`` applies the 2/3 rule to the nonlinear term; ``nonlinear=False`` drops it (then a step is exactly
    v -> exp(h L) v). The phi-coefficients average over ``contour_points`` points of a unit circle around each h L.
    """

    def __init__(
        self,
        n_points: int,
        length: float,
        h: float,
        *,
        nonlinear: bool = True,
        dealias: bool = True,
        contour_points: int = 32,
    ) -> None:
        if n_points < 8 or n_points % 2:
            raise ValueError(f"n_points must be even and >= 8, got {n_points}")
        if not length > 0 or not h > 0:
            raise ValueError(f"length and h must be positive, got {length} and {h}")
        self.n_points, self.length, self.h = n_points, float(length), float(h)
        index = np.arange(n_points // 2 + 1)
        self.wavenumbers = 2.0 * np.pi / self.length * index
        k = self.wavenumbers
        self.linear = k**2 - k**4
        keep = index < n_points / 3.0 if dealias else index < n_points // 2  # Nyquist derivative is dropped
        self.g = np.where(keep, -0.5j * k, 0.0) if nonlinear else np.zeros_like(k, dtype=complex)
        self.E = np.exp(h * self.linear)
        self.E2 = np.exp(0.5 * h * self.linear)
        r = np.exp(1j * np.pi * (np.arange(1, contour_points + 1) - 0.5) / contour_points)
        lr = h * self.linear[:, None] + r[None, :]
        self.Q = h * np.real(np.mean((np.exp(lr / 2) - 1) / lr, axis=1))
        self.f1 = h * np.real(np.mean((-4 - lr + np.exp(lr) * (4 - 3 * lr + lr**2)) / lr**3, axis=1))
        self.f2 = h * np.real(np.mean((2 + lr + np.exp(lr) * (lr - 2)) / lr**3, axis=1))
        self.f3 = h * np.real(np.mean((-4 - 3 * lr - lr**2 + np.exp(lr) * (4 - lr)) / lr**3, axis=1))

    @property
    def grid(self) -> np.ndarray:
        """The collocation points x_j = j L / n, j = 0..n-1."""
        return self.length * np.arange(self.n_points) / self.n_points

    def nonlinear_term(self, v: np.ndarray) -> np.ndarray:
        """N(v) = -(i k / 2) FFT(u^2), with u = IFFT(v) on the grid (2/3-dealiased if set)."""
        u = np.fft.irfft(v, n=self.n_points, axis=-1)
        return self.g * np.fft.rfft(u * u, axis=-1)

    def step(self, v: np.ndarray) -> np.ndarray:
        """One ETDRK4 step of the Fourier coefficients v (..., n_points // 2 + 1)."""
        nv = self.nonlinear_term(v)
        a = self.E2 * v + self.Q * nv
        na = self.nonlinear_term(a)
        b = self.E2 * v + self.Q * na
        nb = self.nonlinear_term(b)
        c = self.E2 * a + self.Q * (2 * nb - nv)
        nc = self.nonlinear_term(c)
        return self.E * v + nv * self.f1 + 2 * (na + nb) * self.f2 + nc * self.f3

    def integrate(self, u0: np.ndarray, n_steps: int, every: int = 1) -> np.ndarray:
        """Grid values after 0, every, 2 every, ... steps up to n_steps: shape (n_steps // every + 1, *u0.shape)."""
        v = np.fft.rfft(np.asarray(u0, dtype=np.float64), axis=-1)
        out = [np.fft.irfft(v, n=self.n_points, axis=-1)]
        for i in range(1, n_steps + 1):
            v = self.step(v)
            if i % every == 0:
                out.append(np.fft.irfft(v, n=self.n_points, axis=-1))
        return np.stack(out)


def random_initial_condition(
    n_trajectories: int, n_points: int, length: float, rng: np.random.Generator, modes: int = 4
) -> np.ndarray:
    """Zero-mean smooth fields sum_{m<=modes} a_m cos(2 pi m x / L) + b_m sin(2 pi m x / L), a, b ~ N(0, 1)."""
    x = length * np.arange(n_points) / n_points
    m = np.arange(1, modes + 1)
    phase = 2.0 * np.pi * m[:, None] * x[None, :] / length
    a, b = rng.standard_normal((2, n_trajectories, modes))
    return a @ np.cos(phase) + b @ np.sin(phase)


def simulate_kuramoto_sivashinsky(
    n_steps: int,
    *,
    n_points: int = 64,
    length: float = 22.0,
    dt: float = 0.25,
    substeps: int = 5,
    n_trajectories: int = 1,
    burn_in: int = 400,
    dealias: bool = True,
    seed: int = 0,
) -> xr.Dataset:
    """KS fields every ``dt`` (ETDRK4 steps of dt / substeps), n_steps + 1 of them after ``burn_in`` output steps.

    Defaults: L = 22 (chaotic, a few unstable modes) on 64 points, dt = 0.25, h = 0.05, 100 time units of burn-in.
    Kassam & Trefethen's own example uses L = 32 pi on 128 points with h = 1/4.
    """
    check_steps(dt, n_steps, substeps)
    if n_trajectories < 1 or burn_in < 0:
        raise ValueError(f"need n_trajectories >= 1 and burn_in >= 0, got {n_trajectories} and {burn_in}")
    stepper = ETDRK4(n_points, length, dt / substeps, dealias=dealias)
    rng = np.random.default_rng(seed)
    u0 = random_initial_condition(n_trajectories, n_points, length, rng)
    u0 = stepper.integrate(u0, burn_in * substeps, every=burn_in * substeps or 1)[-1]
    fields = stepper.integrate(u0, n_steps * substeps, every=substeps)
    u = xr.DataArray(
        np.ascontiguousarray(fields.transpose(1, 0, 2)),
        dims=("trajectory", "time", "space"),
        coords={
            "trajectory": np.arange(n_trajectories),
            "time": ("time", dt * np.arange(n_steps + 1), {"units": "model time units", "long_name": "time"}),
            "space": ("space", stepper.grid, {"units": "model length units", "long_name": "position"}),
        },
        attrs={"units": "1", "long_name": "Kuramoto-Sivashinsky field u"},
    )
    attrs = {"system": "kuramoto_sivashinsky", "length": float(length), "dt": dt, "substeps": substeps}
    attrs |= {"burn_in": burn_in, "dealias": int(dealias), "seed": seed, "integrator": "etdrk4"}
    return xr.Dataset({"u": u}, attrs=attrs)
