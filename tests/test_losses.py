"""Denoising losses against closed-form Gaussian posterior covariances; time samplers against densities."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from torch import Tensor, nn

from sciddiff.analytic import Gaussian, GaussianMixture
from sciddiff.denoisers import TARGETS, Coefficients, NetworkDenoiser, from_x0
from sciddiff.losses import DenoisingLoss, LogitNormal, LogNormalSigma, TimeSampler, UniformTime
from sciddiff.processes import VP, Process
from sciddiff.state import NoiseSource, StateSpec, ZeroCenterOfMass

F64 = torch.float64
N_MC = 2000
MEAN = torch.tensor([0.5, -0.2, 1.0], dtype=F64)
COV = torch.tensor([[1.0, 0.3, -0.2], [0.3, 0.5, 0.1], [-0.2, 0.1, 0.8]], dtype=F64)


def posterior_cov_trace(cov: Tensor, alpha: float, sigma: float) -> float:
    """trace(S - a^2 S (a^2 S + s^2 I)^-1 S): trace of Cov[x0 | x_t] for x0 ~ N(m, S)."""
    eye = torch.eye(cov.shape[0], dtype=F64)
    return float(torch.trace(cov - alpha**2 * cov @ torch.linalg.solve(alpha**2 * cov + sigma**2 * eye, cov)))


def x0_weight(name: str, alpha: float, sigma: float) -> float:
    """w(t) on the squared x0 error, from the weighting's definition (gamma = 5, sigma_data = 0.5)."""
    snr, s2 = alpha**2 / sigma**2, sigma**2 / alpha**2
    return {"snr": snr, "min_snr": min(snr, 5.0), "edm": (s2 + 0.25) / (s2 * 0.25), "uniform": 1.0}[name]


def assert_mc_mean(values: Tensor, expected: float, n_se: float = 5.0) -> None:
    """|mean - expected| < n_se standard errors of the mean (SE from the sample std)."""
    se = float(values.std()) / math.sqrt(values.numel())
    assert se > 0
    assert abs(float(values.mean()) - expected) < n_se * se, (float(values.mean()), expected, se)


def time_at(process: Process, lam: float) -> Tensor:
    return process.t_of_log_snr(torch.tensor(lam, dtype=F64))


# ----------------------------------------------------------------------------- exact-denoiser losses
@pytest.mark.parametrize("lam", [-1.0, 3.0], ids=["snr<5", "snr>5"])
def test_exact_denoiser_loss_is_weighted_posterior_trace(process: Process, lam: float) -> None:
    """E[w(t) ||D(x_t) - x0||^2] = w(t) tr Cov[x0 | x_t] at fixed t (5 MC SE) for "uniform", "snr",
    "min_snr" and "edm"; with the same noise each weighted loss is exactly w(t) times the unweighted one."""
    gauss = Gaussian(MEAN, COV)
    t = time_at(process, lam)
    x0 = gauss.sample(N_MC, generator=torch.Generator().manual_seed(0), dtype=F64)
    alpha, sigma = (float(c) for c in process.alpha_sigma(t))
    trace = posterior_cov_trace(COV, alpha, sigma)
    losses = {
        w: DenoisingLoss(process, w, reduction="sum")(
            gauss.denoiser(process), x0, t=t, generator=torch.Generator().manual_seed(1)
        )
        for w in ("uniform", "snr", "min_snr", "edm")
    }
    for name, loss in losses.items():
        weight = x0_weight(name, alpha, sigma)
        assert_mc_mean(loss, weight * trace)
        torch.testing.assert_close(loss, weight * losses["uniform"], rtol=1e-10, atol=0, msg=name)


class ExactNet(nn.Module):
    """The exact prediction of ``target`` for a Gaussian mixture, given (x_t, t) (no preconditioning)."""

    def __init__(self, mixture: GaussianMixture, process: Process, target: str) -> None:
        super().__init__()
        self.mixture, self.process, self.target = mixture, process, target

    def forward(self, x_t: Tensor, t: Tensor) -> Tensor:
        alpha, sigma = self.process.alpha_sigma(t)
        da, ds = self.process.derivatives(t)
        c = Coefficients(alpha[:, None], sigma[:, None], da[:, None], ds[:, None])
        return from_x0(self.mixture.predict(x_t, alpha, sigma).mean, self.target, x_t, c)


def target_scale(target: str, process: Process, t: Tensor) -> float:
    """|d target / d x0| at fixed x_t, from the targets' definitions."""
    a, s = (float(c) for c in process.alpha_sigma(t))
    da, ds = (float(c) for c in process.derivatives(t))
    return {
        "x0": 1.0,
        "eps": a / s,
        "v": (a**2 + s**2) / s,
        "score": a / s**2,
        "velocity": abs(da - ds * a / s),
    }[target]


@pytest.mark.parametrize("target", TARGETS)
def test_network_loss_per_target(process: Process, target: str) -> None:
    """Exact network, summed loss: "uniform" (MSE of the raw output) averages to scale^2 tr Cov (5 MC standard
    errors); with the same noise, "snr" equals "uniform" times SNR / scale^2 exactly, whatever the target."""
    gauss = Gaussian(MEAN, COV)
    den = NetworkDenoiser(ExactNet(gauss, process, target), process, target=target, preconditioning=None)
    t = time_at(process, 1.0)
    x0 = gauss.sample(N_MC, generator=torch.Generator().manual_seed(2), dtype=F64)
    uniform, snr = (
        DenoisingLoss(process, w, reduction="sum")(den, x0, t=t, generator=torch.Generator().manual_seed(3))
        for w in ("uniform", "snr")
    )
    alpha, sigma = (float(c) for c in process.alpha_sigma(t))
    scale = target_scale(target, process, t)
    assert_mc_mean(uniform, scale**2 * posterior_cov_trace(COV, alpha, sigma))
    torch.testing.assert_close(snr, uniform * alpha**2 / sigma**2 / scale**2, rtol=1e-10, atol=0)


def test_edm_preconditioned_x0_loss(process: Process) -> None:
    """EDM-preconditioned x0 network, uniform loss: E||F - F_target||^2 = tr Cov / c_out^2 (5 MC SE)."""
    gauss = Gaussian(MEAN, COV)
    sd = 0.5

    class ExactF(nn.Module):
        def forward(self, x_in: Tensor, c_noise: Tensor) -> Tensor:
            t = process.t_of_log_snr(-8.0 * c_noise)
            alpha, sigma = process.alpha_sigma(t)
            s = (sigma / alpha)[:, None]
            x_t = x_in * alpha[:, None] * torch.sqrt(s**2 + sd**2)
            x0 = gauss.predict(x_t, alpha, sigma).mean
            c_skip, c_out = sd**2 / (s**2 + sd**2), s * sd / torch.sqrt(s**2 + sd**2)
            return (x0 - c_skip * x_t / alpha[:, None]) / c_out

    den = NetworkDenoiser(ExactF(), process, target="x0", preconditioning="edm", sigma_data=sd)
    t = time_at(process, 0.5)
    x0 = gauss.sample(N_MC, generator=torch.Generator().manual_seed(4), dtype=F64)
    loss = DenoisingLoss(process, "uniform", reduction="sum")(den, x0, t=t, generator=torch.Generator().manual_seed(5))
    alpha, sigma = (float(c) for c in process.alpha_sigma(t))
    s = sigma / alpha
    c_out = s * sd / math.sqrt(s**2 + sd**2)
    assert_mc_mean(loss, posterior_cov_trace(COV, alpha, sigma) / c_out**2)


# ----------------------------------------------------------------------------- masks
NODE_MASK = torch.tensor(
    [[True, True, True, False, False], [True, True, True, True, True], [False, True, False, True, True]]
)


def masked_spec() -> StateSpec:
    return StateSpec.tensor((5, 3), [ZeroCenterOfMass()]).with_masks(NODE_MASK[:, :, None])


def centred(x0: Tensor) -> Tensor:
    """x0 minus its centre of mass over the real nodes, zero on padding (by hand)."""
    m = NODE_MASK[:, :, None].to(F64)
    return (x0 - (x0 * m).sum(1, keepdim=True) / m.sum(1, keepdim=True)) * m


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_masked_loss_by_hand(reduction: str) -> None:
    """A constant-2 denoiser: loss = sum over real entries of (2 - P x0)^2, over #real entries for "mean"."""
    x0 = torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(6), dtype=F64)
    loss = DenoisingLoss(VP(), "uniform", reduction=reduction)(
        lambda x, t: torch.full_like(x, 2.0), x0, spec=masked_spec(), t=torch.tensor(0.5), generator=7
    )
    m = NODE_MASK[:, :, None].to(F64).expand(3, 5, 3)
    expected = ((2.0 - centred(x0)) ** 2 * m).sum((1, 2))
    if reduction == "mean":
        expected = expected / (NODE_MASK.sum(1) * 3).to(F64)
    torch.testing.assert_close(loss, expected, rtol=1e-13, atol=0)


def test_padding_values_do_not_change_loss() -> None:
    """Changing padded entries of x0 leaves the loss unchanged; changing a real entry changes it."""
    spec = masked_spec()
    x0 = torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(8), dtype=F64)

    def den(x: Tensor, t: Tensor) -> Tensor:
        return 0.5 * x + torch.tanh(x) + 0.3

    def loss(x: Tensor) -> Tensor:
        return DenoisingLoss(VP(), "snr", reduction="mean")(den, x, spec=spec, t=torch.tensor(0.3), generator=11)

    ref = loss(x0)
    padded = x0.clone()
    padded[~NODE_MASK] = 100.0 * torch.randn(int((~NODE_MASK).sum()), 3, dtype=F64)
    torch.testing.assert_close(loss(padded), ref, rtol=1e-14, atol=0)
    real = x0.clone()
    real[0, 0, 0] += 1.0
    assert float((loss(real) - ref).abs()[0]) > 1e-3
    torch.testing.assert_close(loss(real)[1:], ref[1:], rtol=1e-14, atol=0)


# ----------------------------------------------------------------------------- time samplers
SAMPLERS: list[TimeSampler] = [UniformTime(), LogNormalSigma(), LogitNormal()]


def density_grid(process: Process) -> np.ndarray:
    """A fine grid on [t_min, t_max], geometrically refined towards both ends."""
    lo, hi = process.t_min, process.t_max
    width = hi - lo
    geo = np.geomspace(1e-12, 1.0, 4000) * width
    grid = np.concatenate([np.linspace(lo, hi, 50001), lo + geo, hi - geo])
    return np.unique(np.clip(grid, lo, hi))


def cdf_on_grid(sampler: TimeSampler, process: Process) -> tuple[np.ndarray, np.ndarray]:
    grid = density_grid(process)
    dens = torch.exp(sampler.log_density(process, torch.from_numpy(grid))).numpy()
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    return grid, cdf


@pytest.mark.parametrize("sampler", SAMPLERS, ids=["uniform", "lognormal", "logit_normal"])
def test_time_sampler_density_and_samples(process: Process, sampler: TimeSampler) -> None:
    """Samples in [t_min, t_max]; exp(log_density) integrates to 1 (1e-4); KS of 20k samples < 0.015."""
    n = 20000
    t = sampler.sample(process, n, NoiseSource(torch.Generator().manual_seed(12), n))
    assert t.dtype == F64 and t.shape == (n,)
    assert float(t.min()) >= process.t_min and float(t.max()) <= process.t_max
    grid, cdf = cdf_on_grid(sampler, process)
    assert abs(cdf[-1] - 1.0) < 1e-4
    model = np.interp(np.sort(t.numpy()), grid, cdf)
    ranks = np.arange(1, n + 1) / n
    ks = max(np.max(np.abs(ranks - model)), np.max(np.abs(ranks - 1.0 / n - model)))
    assert ks < 0.015


def test_time_sampler_densities_quad() -> None:
    """exp(log_density) integrates to 1 under scipy quad for VP (1e-4)."""
    p = VP()
    for sampler in SAMPLERS:
        f = lambda u, s=sampler: float(torch.exp(s.log_density(p, torch.tensor([u], dtype=F64)))[0])  # noqa: E731
        total, _ = quad(f, p.t_min, p.t_max, points=[2e-3, 1e-2, 0.1], limit=400, epsabs=1e-10)
        assert abs(total - 1.0) < 1e-4


def test_time_sampler_parameters(process: Process) -> None:
    """LogitNormal: logit of the rescaled time is N(m, s^2); LogNormalSigma: log(sigma/alpha) has the
    truncated-normal mean (5 standard errors)."""
    n = 10000
    noise = NoiseSource(torch.Generator().manual_seed(13), n)
    t = LogitNormal(0.5, 1.5).sample(process, n, noise)
    u = (t - process.t_min) / (process.t_max - process.t_min)
    z = torch.log(u) - torch.log1p(-u)
    assert abs(float(z.mean()) - 0.5) < 5 * 1.5 / math.sqrt(n)
    assert abs(float(z.std()) - 1.5) < 5 * 1.5 / math.sqrt(2 * n)
    t = LogNormalSigma(-1.2, 1.2).sample(process, n, NoiseSource(torch.Generator().manual_seed(14), n))
    log_s = -0.5 * process.log_snr(t)
    lam = process.log_snr(torch.tensor([process.t_min, process.t_max], dtype=F64))
    a, b = ((-0.5 * lam - (-1.2)) / 1.2).tolist()
    phi = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731
    big_phi = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    mass = big_phi(b) - big_phi(a)
    mean = -1.2 + 1.2 * (phi(a) - phi(b)) / mass
    var = 1.44 * (1 + (a * phi(a) - b * phi(b)) / mass - ((phi(a) - phi(b)) / mass) ** 2)
    assert abs(float(log_s.mean()) - mean) < 5 * math.sqrt(var / n)


# ----------------------------------------------------------------------------- ELBO
def test_elbo_weighting_is_unbiased_across_time_samplers() -> None:
    """E["elbo" loss, sum] = int -SNR'(t) tr Cov(t)/2 dt = sum_l log((1 + l SNR(t_min))/(1 + l SNR(t_max)))/2.

    Checked for a 2-D Gaussian under VP with uniform, log-normal and logit-normal(-2, 2) times, each within
    5 MC standard errors. (The default logit-normal(0, 1) density vanishes faster than the 1/t integrand near
    t_min, which makes that estimator heavy-tailed, so a wider one is used.)
    """
    p = VP()
    cov = COV[:2, :2]
    gauss = Gaussian(MEAN[:2], cov)
    eig = torch.linalg.eigvalsh(cov).numpy()

    def integrand(t: float) -> float:
        i = 0.1 * t + 0.5 * 19.9 * t**2
        beta = 0.1 + 19.9 * t
        snr = 1.0 / math.expm1(i)
        dsnr = -math.exp(i) * beta / math.expm1(i) ** 2
        return float(-0.5 * dsnr * np.sum(eig / (snr * eig + 1.0)))

    integral, _ = quad(integrand, p.t_min, p.t_max, points=[2e-3, 1e-2, 0.1], limit=400, epsabs=1e-12, epsrel=1e-12)
    snr_ends = torch.exp(p.log_snr(torch.tensor([p.t_min, p.t_max], dtype=F64))).numpy()
    closed = 0.5 * float(np.sum(np.log1p(eig * snr_ends[0]) - np.log1p(eig * snr_ends[1])))
    assert integral == pytest.approx(closed, rel=1e-9)

    n = 50000
    x0 = gauss.sample(n, generator=torch.Generator().manual_seed(15), dtype=F64)
    means, ses = [], []
    for i, sampler in enumerate([UniformTime(), LogNormalSigma(), LogitNormal(-2.0, 2.0)]):
        loss = DenoisingLoss(p, "elbo", sampler, reduction="sum")(
            gauss.denoiser(p), x0, generator=torch.Generator().manual_seed(16 + i)
        )
        assert_mc_mean(loss, integral)
        means.append(float(loss.mean()))
        ses.append(float(loss.std()) / math.sqrt(n))
    for i in range(len(means)):
        for j in range(i):
            assert abs(means[i] - means[j]) < 5 * math.hypot(ses[i], ses[j])


# ----------------------------------------------------------------------------- errors
def test_unknown_names_raise() -> None:
    """Unknown weighting, sampler or reduction names raise ValueError listing the choices."""
    with pytest.raises(ValueError, match=r"nope.*edm.*elbo.*min_snr.*snr.*uniform"):
        DenoisingLoss(VP(), "nope")
    with pytest.raises(ValueError, match=r"nope.*logit_normal.*lognormal.*uniform"):
        DenoisingLoss(VP(), "snr", "nope")
    with pytest.raises(ValueError, match="reduction"):
        DenoisingLoss(VP(), reduction="max")


def test_out_of_range_time_raises() -> None:
    """A training time outside [t_min, t_max] is refused."""
    loss: Callable[..., Tensor] = DenoisingLoss(VP())
    with pytest.raises(ValueError, match="t_min"):
        loss(lambda x, t: x, torch.zeros(2, 3), t=torch.tensor(1.5))
