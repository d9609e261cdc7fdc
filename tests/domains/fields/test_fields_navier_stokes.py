"""Navier-Stokes: invariants of the inviscid flow, exact viscous decay and steady states, the exact tendency of a
two-mode state, fourth-order time stepping, and the black-box operator."""

from __future__ import annotations

import math

import pytest
import torch
from sciddiff.domains.fields.simulators.grf import periodic_grf
from sciddiff.domains.fields.simulators.navier_stokes import (
    NavierStokes2D,
    kolmogorov_forcing,
    navier_stokes_dataset,
    periodic_coordinates,
)

from sciddiff.operators import BlackBox

F64 = torch.float64


def band_limited_field(solver: NavierStokes2D, n: int, seed: int) -> torch.Tensor:
    """A random zero-mean vorticity inside the 2/3 de-aliasing band."""
    w = periodic_grf(n, solver.size, torch.Generator().manual_seed(seed), alpha=2.5, tau=3.0, scale=20.0)
    return torch.fft.irfft2(torch.fft.rfft2(w) * solver.dealias, s=(solver.size, solver.size))


def grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = periodic_coordinates(size)
    return x[:, None].expand(size, size), x[None, :].expand(size, size)  # (y, x)


def test_inviscid_unforced_flow_conserves_energy_and_enstrophy() -> None:
    solver = NavierStokes2D(32, viscosity=0.0, forcing=None, dt=1e-2)
    w0 = band_limited_field(solver, 3, seed=0)
    w1 = solver.simulate(w0, 1.0)
    assert float((w1 - w0).norm() / w0.norm()) > 0.05  # the flow really evolved
    torch.testing.assert_close(solver.energy(w1), solver.energy(w0), rtol=1e-11, atol=0)
    torch.testing.assert_close(solver.enstrophy(w1), solver.enstrophy(w0), rtol=1e-9, atol=0)


@pytest.mark.parametrize(("kx", "ky"), [(1, 0), (2, 1), (3, -2), (8, 0), (8, 8)])  # (8, .): Nyquist on 16^2
def test_a_single_fourier_mode_decays_exactly_at_the_viscous_rate(kx: int, ky: int) -> None:
    nu, t = 0.01, 0.7
    solver = NavierStokes2D(16, viscosity=nu, dt=0.05)
    y, x = grid(16)
    w0 = torch.cos(2 * math.pi * (kx * x + ky * y) + 0.3)[None]
    rate = nu * 4 * math.pi**2 * (kx**2 + ky**2)
    torch.testing.assert_close(solver.simulate(w0, t), math.exp(-rate * t) * w0, rtol=0, atol=1e-13)


def test_the_kolmogorov_laminar_state_is_steady() -> None:
    nu, size = 0.05, 16
    forcing = kolmogorov_forcing(size)
    solver = NavierStokes2D(size, viscosity=nu, forcing=forcing, dt=0.05)
    w = forcing / (nu * 8 * math.pi**2)  # nu |k|^2 w = f for the wave vector 2 pi (1, 1)
    torch.testing.assert_close(solver.tendency(w[None])[0], torch.zeros_like(w), rtol=0, atol=1e-14)
    torch.testing.assert_close(solver.simulate(w[None], 2.0)[0], w, rtol=0, atol=1e-14)
    # from rest the flow relaxes to it: w(t) = (1 - exp(-nu |k|^2 t)) w_steady
    decay = math.exp(-nu * 8 * math.pi**2 * 0.3)
    torch.testing.assert_close(solver.simulate(torch.zeros_like(w)[None], 0.3)[0], (1 - decay) * w, rtol=0, atol=1e-14)


def test_tendency_of_a_two_mode_state_matches_the_hand_computation() -> None:
    a, b, nu = 0.7, -1.3, 0.02
    solver = NavierStokes2D(16, viscosity=nu)
    y, x = grid(16)
    w = a * torch.cos(2 * math.pi * x) + b * torch.cos(4 * math.pi * y)
    # psi = a cos(2 pi x) / (4 pi^2) + b cos(4 pi y) / (16 pi^2), u = psi_y, v = -psi_x:
    # u . grad w = -1.5 a b sin(2 pi x) sin(4 pi y); nu Laplacian w = -nu (4 pi^2 a cos 2 pi x + 16 pi^2 b cos 4 pi y)
    advection = -1.5 * a * b * torch.sin(2 * math.pi * x) * torch.sin(4 * math.pi * y)
    diffusion = -nu * 4 * math.pi**2 * (a * torch.cos(2 * math.pi * x) + 4 * b * torch.cos(4 * math.pi * y))
    torch.testing.assert_close(solver.tendency(w[None])[0], -advection + diffusion, rtol=0, atol=1e-13)
    u, v = solver.velocity(w[None])
    torch.testing.assert_close(u[0], -b * torch.sin(4 * math.pi * y) / (4 * math.pi), rtol=0, atol=1e-15)
    torch.testing.assert_close(v[0], a * torch.sin(2 * math.pi * x) / (2 * math.pi), rtol=0, atol=1e-15)


def test_time_stepping_is_fourth_order_and_keeps_the_mean_at_zero() -> None:
    size, t = 16, 0.5
    make = lambda dt: NavierStokes2D(size, 0.01, kolmogorov_forcing(size), dt)  # noqa: E731
    w0 = band_limited_field(make(1.0), 2, seed=1) * 5
    reference = make(0.5 / 64).simulate(w0, t)
    errors = [float((make(dt).simulate(w0, t) - reference).abs().max()) for dt in (0.125, 0.0625)]
    order = math.log2(errors[0] / errors[1])
    assert 3.6 < order < 4.6, (errors, order)
    assert float(reference.mean((-2, -1)).abs().max()) < 1e-15


def test_dataset_seeds_and_operator() -> None:
    ds = navier_stokes_dataset(2, seed=3, size=16, t_final=0.4, n_times=3, dt=0.05)
    again = navier_stokes_dataset(2, seed=3, size=16, t_final=0.4, n_times=3, dt=0.05)
    assert ds["vorticity"].dims == ("sample", "time", "y", "x")
    torch.testing.assert_close(torch.tensor(ds["time"].values), torch.tensor([0.0, 0.2, 0.4], dtype=F64))
    assert (ds["vorticity"].values == again["vorticity"].values).all()
    solver = NavierStokes2D(16, 1e-3, kolmogorov_forcing(16), dt=0.05)
    op = solver.as_operator(0.4)
    assert isinstance(op, BlackBox) and not op.differentiable
    w0 = torch.as_tensor(ds["vorticity"].values[:, 0])
    torch.testing.assert_close(op(w0), torch.as_tensor(ds["vorticity"].values[:, 2]), rtol=0, atol=1e-14)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="even size"):
        NavierStokes2D(15)
    solver = NavierStokes2D(8)
    with pytest.raises(ValueError, match=r"\(B, 8, 8\)"):
        solver.simulate(torch.zeros(8, 8), 1.0)
    with pytest.raises(ValueError, match="non-decreasing"):
        solver.trajectory(torch.zeros(1, 8, 8), [0.5, 0.1])
    with pytest.raises(ValueError, match="forcing"):
        NavierStokes2D(8, forcing=torch.zeros(4, 4))
