"""Forward processes: schedules, inverses, derivatives, SDE coefficients and exact transport of a Gaussian."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from sciddiff.processes import EDM, PROCESSES, VE, VP, Flow, Interpolant, Process, VPCosine, get_process

F64 = torch.float64
INTERIOR = torch.tensor([1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999], dtype=F64)
LAMS = torch.tensor([-4.0, 0.0, 4.0], dtype=F64)


def interior_times(p: Process) -> Tensor:
    """Times strictly inside (t_min, t_max), including points close to both ends."""
    return p.t_min + (p.t_max - p.t_min) * INTERIOR


def fd_step(p: Process, t: Tensor) -> Tensor:
    """A central-difference step that stays inside [t_min, t_max] and is small relative to t."""
    return 1e-4 * torch.minimum(torch.minimum(t - p.t_min, p.t_max - t), t)


def vp_integral(t: Tensor) -> Tensor:
    return 0.1 * t + 0.5 * (20.0 - 0.1) * t**2


# ----------------------------------------------------------------------------- schedule structure
def test_log_snr_inverse(process: Process) -> None:
    """t_of_log_snr(log_snr(t)) == t and t_of_noise_ratio(sigma / alpha) == t on a grid with both ends."""
    t = torch.linspace(process.t_min, process.t_max, 101, dtype=F64)
    torch.testing.assert_close(process.t_of_log_snr(process.log_snr(t)), t, atol=1e-10, rtol=0)
    alpha, sigma = process.alpha_sigma(t)
    torch.testing.assert_close(process.t_of_noise_ratio(sigma / alpha), t, atol=1e-10, rtol=0)


def test_log_snr_matches_alpha_sigma(process: Process) -> None:
    """log_snr == log(alpha^2 / sigma^2), whichever closed form a subclass uses."""
    t = interior_times(process)
    alpha, sigma = process.alpha_sigma(t)
    torch.testing.assert_close(process.log_snr(t), torch.log(alpha**2 / sigma**2), atol=1e-11, rtol=1e-12)


def test_log_snr_strictly_decreasing_and_finite(process: Process) -> None:
    """log-SNR decreases strictly and is finite on a 4001-point grid over [t_min, t_max]."""
    t = torch.linspace(process.t_min, process.t_max, 4001, dtype=F64)
    lam = process.log_snr(t)
    assert torch.isfinite(lam).all()
    assert bool((lam[1:] < lam[:-1]).all())
    alpha, sigma = process.alpha_sigma(t)
    assert bool((alpha > 0).all() and (sigma > 0).all())


def test_derivatives_match_finite_differences(process: Process) -> None:
    """(alpha', sigma') == central differences with a relative step 1e-4 (truncation ~1e-9, rtol 1e-6)."""
    t = interior_times(process)
    h = fd_step(process, t)
    ap, sp = process.alpha_sigma(t + h)
    am, sm = process.alpha_sigma(t - h)
    da, ds = process.derivatives(t)
    torch.testing.assert_close(da, (ap - am) / (2 * h), rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(ds, (sp - sm) / (2 * h), rtol=1e-6, atol=1e-9)


def test_drift_diffusion(process: Process) -> None:
    """f = alpha'/alpha and g^2 = -sigma^2 d(log-SNR)/dt, the latter by central differences of log_snr."""
    t = interior_times(process)
    h = fd_step(process, t)
    f, g2 = process.drift_diffusion(t)
    alpha, sigma = process.alpha_sigma(t)
    da, _ = process.derivatives(t)
    dlam = (process.log_snr(t + h) - process.log_snr(t - h)) / (2 * h)
    torch.testing.assert_close(f, da / alpha, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(g2, -(sigma**2) * dlam, rtol=1e-6, atol=1e-9)
    assert bool((g2 > 0).all())


def test_pf_ode_and_reverse_sde(process: Process) -> None:
    """pf = f x - g^2 score/2, sde drift = f x - g^2 score, diffusion g; score = (a x0_hat - x)/sigma^2."""
    g = torch.Generator().manual_seed(0)
    t = process.t_min + (process.t_max - process.t_min) * torch.rand(5, generator=g, dtype=F64)
    x = torch.randn(5, 2, 3, generator=g, dtype=F64)
    x0_hat = torch.randn(5, 2, 3, generator=g, dtype=F64)
    alpha, sigma = (c[:, None, None] for c in process.alpha_sigma(t))
    da, ds = (c[:, None, None] for c in process.derivatives(t))
    f = da / alpha
    g2 = 2 * sigma * ds - 2 * f * sigma**2
    score = (alpha * x0_hat - x) / sigma**2
    torch.testing.assert_close(process.score(x, t, x0_hat), score, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(process.pf_ode(x, t, x0_hat), f * x - 0.5 * g2 * score, rtol=1e-10, atol=1e-10)
    drift, diffusion = process.reverse_sde(x, t, x0_hat)
    torch.testing.assert_close(drift, f * x - g2 * score, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(diffusion, g2.sqrt(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_preserved(process: Process, dtype: torch.dtype) -> None:
    """Every coefficient comes back in t's dtype and on the CPU, equal to the float64 value rounded."""
    t64 = interior_times(process)
    t = t64.to(dtype)
    outs = {
        "alpha": process.alpha(t),
        "sigma": process.sigma(t),
        "log_snr": process.log_snr(t),
        "t_of_log_snr": process.t_of_log_snr(process.log_snr(t64).to(dtype)),
        **{f"alpha_sigma{i}": c for i, c in enumerate(process.alpha_sigma(t))},
        **{f"derivatives{i}": c for i, c in enumerate(process.derivatives(t))},
        **{f"drift_diffusion{i}": c for i, c in enumerate(process.drift_diffusion(t))},
    }
    ref = {
        "alpha": process.alpha(t.to(F64)),
        "sigma": process.sigma(t.to(F64)),
        "log_snr": process.log_snr(t.to(F64)),
        "t_of_log_snr": process.t_of_log_snr(process.log_snr(t64).to(dtype).to(F64)),
        **{f"alpha_sigma{i}": c for i, c in enumerate(process.alpha_sigma(t.to(F64)))},
        **{f"derivatives{i}": c for i, c in enumerate(process.derivatives(t.to(F64)))},
        **{f"drift_diffusion{i}": c for i, c in enumerate(process.drift_diffusion(t.to(F64)))},
    }
    for name, out in outs.items():
        assert out.dtype == dtype, name
        assert out.device.type == "cpu", name
        torch.testing.assert_close(out, ref[name].to(dtype), rtol=0, atol=0, msg=name)
    x = torch.ones(len(t), 3, dtype=dtype)
    for out in (process.score(x, t, x), process.pf_ode(x, t, x), *process.reverse_sde(x, t, x)):
        assert out.dtype == dtype
    assert process.add_noise(x, t64, x).dtype == dtype


def test_add_noise_per_sample_time(process: Process) -> None:
    """add_noise == alpha(t_i) x0_i + sigma(t_i) eps_i for per-sample t, and for a scalar t."""
    g = torch.Generator().manual_seed(1)
    t = process.t_min + (process.t_max - process.t_min) * torch.rand(4, generator=g, dtype=F64)
    x0, eps = torch.randn(4, 2, 3, generator=g, dtype=F64), torch.randn(4, 2, 3, generator=g, dtype=F64)
    expected = torch.stack([process.alpha(t[i]) * x0[i] + process.sigma(t[i]) * eps[i] for i in range(4)])
    torch.testing.assert_close(process.add_noise(x0, t, eps), expected, rtol=1e-14, atol=1e-14)
    a, s = process.alpha_sigma(t[2])
    torch.testing.assert_close(process.add_noise(x0, float(t[2]), eps), a * x0 + s * eps, rtol=1e-14, atol=1e-14)


# ----------------------------------------------------------------------------- documented defaults
def test_vp_defaults() -> None:
    """beta 0.1 .. 20 on [1e-3, 1]: alpha = exp(-I/2), I = 0.1 t + 9.95 t^2, sigma^2 = 1 - alpha^2."""
    p = VP()
    assert (p.beta_min, p.beta_max, p.t_min, p.t_max) == (0.1, 20.0, 1e-3, 1.0)
    torch.testing.assert_close(
        p.alpha(torch.tensor(1.0, dtype=F64)), torch.tensor(math.exp(-(0.1 + 9.95) / 2), dtype=F64)
    )
    t = torch.tensor([1e-3, 0.25, 0.5, 1.0], dtype=F64)
    i = 0.1 * t + 0.5 * 19.9 * t**2
    torch.testing.assert_close(p.alpha(t), torch.exp(-i / 2), rtol=1e-14, atol=0)
    torch.testing.assert_close(p.sigma(t), torch.sqrt(1 - torch.exp(-i)), rtol=1e-12, atol=0)


def test_vp_cosine_defaults() -> None:
    """s = 0.008 on [1e-3, 0.9946]: alpha = f(t)/f(0), f = cos((t + s)/(1 + s) pi/2)."""
    p = VPCosine()
    assert (p.s, p.t_min, p.t_max) == (0.008, 1e-3, 0.9946)
    t = torch.tensor([1e-3, 0.2, 0.5, 0.9, 0.9946], dtype=F64)
    f = lambda u: torch.cos((u + 0.008) / 1.008 * math.pi / 2)  # noqa: E731
    alpha = f(t) / f(torch.zeros((), dtype=F64))
    torch.testing.assert_close(p.alpha(t), alpha, rtol=1e-13, atol=0)
    torch.testing.assert_close(p.sigma(t), torch.sqrt(1 - alpha**2), rtol=1e-9, atol=0)


def test_ve_defaults() -> None:
    """sigma = 0.01 * 5000^t on [0, 1], alpha = 1."""
    p = VE()
    assert (p.sigma_min, p.sigma_max, p.t_min, p.t_max) == (0.01, 50.0, 0.0, 1.0)
    t = torch.tensor([0.0, 0.3, 1.0], dtype=F64)
    torch.testing.assert_close(p.sigma(t), 0.01 * 5000.0**t, rtol=1e-13, atol=0)
    torch.testing.assert_close(p.alpha(t), torch.ones(3, dtype=F64), rtol=0, atol=0)


def test_edm_defaults() -> None:
    """sigma = t on [0.002, 80], alpha = 1, sigma_data = 0.5, rho = 7."""
    p = EDM()
    assert (p.t_min, p.t_max, p.sigma_data, p.rho) == (0.002, 80.0, 0.5, 7.0)
    t = torch.tensor([0.002, 1.0, 80.0], dtype=F64)
    torch.testing.assert_close(p.sigma(t), t, rtol=0, atol=0)
    torch.testing.assert_close(p.alpha(t), torch.ones(3, dtype=F64), rtol=0, atol=0)


def test_flow_defaults() -> None:
    """alpha = 1 - t, sigma = t on [1e-3, 1 - 1e-3]."""
    p = Flow()
    assert (p.t_min, p.t_max) == (1e-3, 1 - 1e-3)
    t = torch.tensor([1e-3, 0.3, 0.999], dtype=F64)
    torch.testing.assert_close(p.alpha(t), 1 - t, rtol=0, atol=0)
    torch.testing.assert_close(p.sigma(t), t, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("process", "lam_min_t", "lam_max_t"),
    [(VP(), 9.1, -10.0), (VPCosine(), 10.1, -9.6), (VE(), 9.2, -7.8), (Flow(), 13.8, -13.8)],
    ids=["VP", "VPCosine", "VE", "Flow"],
)
def test_documented_log_snr_at_ends(process: Process, lam_min_t: float, lam_max_t: float) -> None:
    """The docstrings quote log-SNR(t_min), log-SNR(t_max) to one decimal: they must round to those values."""
    lam = process.log_snr(torch.tensor([process.t_min, process.t_max], dtype=F64))
    assert abs(float(lam[0]) - lam_min_t) <= 0.05 + 1e-9
    assert abs(float(lam[1]) - lam_max_t) <= 0.05 + 1e-9


# ----------------------------------------------------------------------------- exact transport of a Gaussian
M0, V0 = 0.7, 0.4


def gaussian_log_p(p: Process, x: Tensor, t: Tensor) -> Tensor:
    """log N(x; alpha m, alpha^2 v + sigma^2): the exact marginal of x0 ~ N(m, v)."""
    a, s = p.alpha_sigma(t)
    var = a**2 * V0 + s**2
    return -0.5 * (x - a * M0) ** 2 / var - 0.5 * torch.log(2 * math.pi * var)


def gaussian_x0_hat(p: Process, x: Tensor, t: Tensor) -> Tensor:
    """E[x0 | x_t = x] for x0 ~ N(m, v)."""
    a, s = p.alpha_sigma(t)
    return M0 + a * V0 / (a**2 * V0 + s**2) * (x - a * M0)


def transport_points(p: Process) -> tuple[Tensor, Tensor]:
    """A few (x, t): t at log-SNR -4, 0, 4; x at the marginal mean and +-1.5 marginal standard deviations."""
    t = p.t_of_log_snr(LAMS)
    a, s = p.alpha_sigma(t)
    std = (a**2 * V0 + s**2).sqrt()
    z = torch.tensor([-1.5, 0.0, 1.5], dtype=F64)
    x = (a * M0)[:, None] + std[:, None] * z[None, :]
    return x.reshape(-1), t[:, None].expand(3, 3).reshape(-1)


def test_pf_ode_satisfies_continuity_equation(process: Process) -> None:
    """d/dt log p_t + div(p_t v) / p_t = 0 for v the PF-ODE velocity of the exact denoiser (FD, rel. 1e-6)."""
    x, t = transport_points(process)
    ht = 1e-5 * t
    a, s = process.alpha_sigma(t)
    hx = 1e-5 * (a**2 * V0 + s**2).sqrt()

    def flux(xx: Tensor) -> Tensor:
        v = process.pf_ode(xx[:, None], t, gaussian_x0_hat(process, xx, t)[:, None])[:, 0]
        return gaussian_log_p(process, xx, t).exp() * v

    dt_log_p = (gaussian_log_p(process, x, t + ht) - gaussian_log_p(process, x, t - ht)) / (2 * ht)
    div = (flux(x + hx) - flux(x - hx)) / (2 * hx) / gaussian_log_p(process, x, t).exp()
    scale = dt_log_p.abs() + div.abs()
    assert float(scale.min()) > 1e-3
    assert float(((dt_log_p + div).abs() / scale).max()) < 1e-6


def test_forward_and_reverse_fokker_planck(process: Process) -> None:
    """dp/dt = -d(f x p)/dx + g^2 p''/2 (forward SDE); dp/dt = -d(b p)/dx - g^2 p''/2 (reverse SDE, drift b).

    Finite differences of the exact Gaussian marginal, relative tolerance 1e-5 (truncation ~1e-7).
    """
    x, t = transport_points(process)
    a, s = process.alpha_sigma(t)
    ht, hx = 1e-5 * t, 1e-3 * (a**2 * V0 + s**2).sqrt()
    f, g2 = process.drift_diffusion(t)

    def p(xx: Tensor, tt: Tensor) -> Tensor:
        return gaussian_log_p(process, xx, tt).exp()

    dp_dt = (p(x, t + ht) - p(x, t - ht)) / (2 * ht)
    p_xx = (p(x + hx, t) - 2 * p(x, t) + p(x - hx, t)) / hx**2
    d_fxp = ((f * (x + hx) * p(x + hx, t)) - f * (x - hx) * p(x - hx, t)) / (2 * hx)
    residual = dp_dt + d_fxp - 0.5 * g2 * p_xx
    scale = dp_dt.abs() + d_fxp.abs() + (0.5 * g2 * p_xx).abs()
    assert float((residual.abs() / scale).max()) < 1e-5

    def rev_flux(xx: Tensor) -> Tensor:
        drift, _ = process.reverse_sde(xx[:, None], t, gaussian_x0_hat(process, xx, t)[:, None])
        return drift[:, 0] * p(xx, t)

    _, diffusion = process.reverse_sde(x[:, None], t, gaussian_x0_hat(process, x, t)[:, None])
    d_bp = (rev_flux(x + hx) - rev_flux(x - hx)) / (2 * hx)
    residual = dp_dt + d_bp + 0.5 * diffusion[:, 0] ** 2 * p_xx
    scale = dp_dt.abs() + d_bp.abs() + (0.5 * g2 * p_xx).abs()
    assert float((residual.abs() / scale).max()) < 1e-5


# ----------------------------------------------------------------------------- Interpolant, registry, errors
def vp_interpolant() -> Interpolant:
    return Interpolant(
        lambda t: torch.exp(-0.5 * vp_integral(t)),
        lambda t: torch.sqrt(-torch.expm1(-vp_integral(t))),
        1e-3,
        1.0,
    )


def test_interpolant_reproduces_vp() -> None:
    """An Interpolant with VP's alpha, sigma (autograd derivatives, bisection inverse) matches VP exactly."""
    vp, ip = VP(), vp_interpolant()
    t = torch.linspace(vp.t_min, vp.t_max, 57, dtype=F64)
    for name in ("alpha_sigma", "derivatives", "drift_diffusion"):
        for u, w in zip(getattr(ip, name)(t), getattr(vp, name)(t), strict=True):
            torch.testing.assert_close(u, w, rtol=1e-9, atol=1e-12, msg=name)
    torch.testing.assert_close(ip.log_snr(t), vp.log_snr(t), rtol=1e-9, atol=1e-12)
    lam = torch.linspace(-9.9, 9.0, 41, dtype=F64)
    torch.testing.assert_close(ip.t_of_log_snr(lam), vp.t_of_log_snr(lam), rtol=1e-9, atol=1e-12)


def test_base_autograd_derivatives_with_shared_intermediate() -> None:
    """Base-class autograd derivatives work when alpha and sigma share an intermediate (VP's integral)."""

    class SharedVP(Process):
        t_min, t_max = 1e-3, 1.0

        def _alpha_sigma(self, t: Tensor) -> tuple[Tensor, Tensor]:
            i = vp_integral(t)
            return torch.exp(-0.5 * i), torch.sqrt(-torch.expm1(-i))

    t = torch.tensor([0.1, 0.5, 0.9], dtype=F64)
    for u, w in zip(SharedVP().derivatives(t), VP().derivatives(t), strict=True):
        torch.testing.assert_close(u, w, rtol=1e-12, atol=0)


def test_interpolant_rejects_bad_schedules() -> None:
    """Non-monotone log-SNR, non-positive alpha and an empty range are refused."""
    with pytest.raises(ValueError, match="decrease"):
        Interpolant(lambda t: 1.0 + 0.5 * torch.sin(10 * t), lambda t: 0.5 + 0 * t, 0.0, 1.0)
    with pytest.raises(ValueError, match="alpha"):
        Interpolant(lambda t: torch.cos(0.5 * math.pi * t), lambda t: torch.sin(0.5 * math.pi * t), 0.1, 1.5)
    with pytest.raises(ValueError, match="t_min < t_max"):
        Interpolant(lambda t: 1 - t, lambda t: t, 0.5, 0.2)


def test_get_process() -> None:
    """The registry builds processes by name with kwargs and lists the names on a typo."""
    with pytest.raises(ValueError) as info:
        get_process("nope")
    assert "nope" in str(info.value)
    assert all(name in str(info.value) for name in ("vp", "vp_cosine", "ve", "edm", "flow"))
    assert set(PROCESSES) == {"vp", "vp_cosine", "ve", "edm", "flow"}
    edm = get_process("edm", sigma_max=40.0)
    assert isinstance(edm, EDM) and edm.t_max == 40.0


@pytest.mark.parametrize(
    "build",
    [
        lambda: VP(beta_min=-0.1),
        lambda: VP(beta_min=5.0, beta_max=1.0),
        lambda: VP(t_min=0.0),
        lambda: VP(t_min=0.5, t_max=0.4),
        lambda: VPCosine(s=0.0),
        lambda: VPCosine(t_max=1.0),
        lambda: VE(sigma_min=0.0),
        lambda: VE(sigma_min=10.0, sigma_max=1.0),
        lambda: EDM(sigma_min=1.0, sigma_max=0.5),
        lambda: EDM(sigma_data=0.0),
        lambda: EDM(rho=-1.0),
        lambda: Flow(t_min=0.0),
        lambda: Flow(t_max=1.0),
    ],
)
def test_bad_constructor_arguments(build: object) -> None:
    """Out-of-range schedule parameters raise ValueError."""
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


# ----------------------------------------------------------------------------- prior and time checks
def test_prior_sample(process: Process) -> None:
    """Int seeds make prior samples batch-size invariant; std is sigma(t_max) within 5 SE = 5 s/sqrt(2 n)."""
    big = process.prior_sample((2000, 50), generator=3, dtype=F64)
    small = process.prior_sample((5, 50), generator=3, dtype=F64)
    torch.testing.assert_close(big[:5], small, rtol=0, atol=0)
    s = float(process.sigma(torch.tensor(process.t_max, dtype=F64)))
    assert process.prior_std() == pytest.approx(s, rel=1e-14)
    n = big.numel()
    assert abs(float(big.std()) - s) < 5 * s / math.sqrt(2 * n)
    assert abs(float(big.mean())) < 5 * s / math.sqrt(n)
    ref = (-0.5 * small**2 / s**2 - math.log(s) - 0.5 * math.log(2 * math.pi)).sum(1)
    torch.testing.assert_close(process.prior_log_prob(small), ref, rtol=1e-12, atol=1e-10)


def test_check_time(process: Process) -> None:
    """Endpoints pass; times outside raise a ValueError quoting the range, the label and the value."""
    process.check_time(torch.tensor([process.t_min, process.t_max], dtype=F64))
    rng = f"[{process.t_min:g}, {process.t_max:g}]"
    for bad in (process.t_max + 0.5, process.t_min - 0.5):
        with pytest.raises(ValueError) as info:
            process.check_time(torch.tensor([process.t_min, bad], dtype=F64), "my times")
        assert rng in str(info.value) and "my times" in str(info.value) and f"{bad:g}" in str(info.value)
