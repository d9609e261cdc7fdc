"""Gaussian-mixture oracles: scores, Tweedie covariances, densities, sampling, posteriors and flow maps."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from scipy.stats import multivariate_normal
from torch import Tensor

from sciddiff.analytic import Gaussian, GaussianMixture, flow_map, ve_denoiser
from sciddiff.processes import VP, Process
from sciddiff.state import derive_seed

F64 = torch.float64
Factory = Callable[[int, int, int], GaussianMixture]


def random_times(process: Process, n: int, seed: int) -> Tensor:
    u = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return process.t_min + (process.t_max - process.t_min) * (0.02 + 0.96 * u)


def mixture_log_pdf(mix: GaussianMixture, x: np.ndarray) -> np.ndarray:
    """log p(x) with scipy, component by component (independent of the library's eigen-decomposition)."""
    comps = [
        math.log(float(w)) + multivariate_normal(m.numpy(), c.numpy()).logpdf(x)
        for w, m, c in zip(mix.weights, mix.means, mix.covs, strict=True)
    ]
    return np.logaddexp.reduce(np.stack(comps), axis=0)


# ----------------------------------------------------------------------------- scores and Tweedie
def test_score_is_gradient_of_log_prob(process: Process, mixture_factory: Factory) -> None:
    """score(x, t) == grad_x log p_t(x) by autograd, with a different t per sample."""
    mix = mixture_factory(3, 3, 0)
    t = random_times(process, 5, 1)
    x = (3 * torch.randn(5, 3, generator=torch.Generator().manual_seed(2), dtype=F64)).requires_grad_(True)
    (grad,) = torch.autograd.grad(mix.log_prob(x, process, t).sum(), x)
    torch.testing.assert_close(mix.score(x.detach(), process, t), grad, rtol=1e-9, atol=1e-10)


def test_log_prob_matches_scipy(process: Process, mixture_factory: Factory) -> None:
    """log_prob of the data and of the noisy marginal (a^2 S_k + s^2 I) equal scipy's mixture log-density."""
    mix = mixture_factory(3, 3, 3)
    x = 2 * torch.randn(6, 3, generator=torch.Generator().manual_seed(4), dtype=F64)
    np.testing.assert_allclose(mix.log_prob(x).numpy(), mixture_log_pdf(mix, x.numpy()), rtol=1e-11, atol=1e-11)
    t = float(random_times(process, 1, 5)[0])
    a, s = (float(c) for c in process.alpha_sigma(torch.tensor(t, dtype=F64)))
    noisy = GaussianMixture(mix.weights, a * mix.means, a**2 * mix.covs + s**2 * torch.eye(3, dtype=F64))
    np.testing.assert_allclose(
        mix.log_prob(x, process, t).numpy(), mixture_log_pdf(noisy, x.numpy()), rtol=1e-11, atol=1e-11
    )
    marg = mix.marginal(process, t)
    torch.testing.assert_close(marg.log_prob(x), mix.log_prob(x, process, t), rtol=1e-12, atol=1e-12)


def test_tweedie_covariance_is_scaled_jacobian(process: Process, mixture_factory: Factory) -> None:
    """Cov[x0 | x_t] = (sigma^2 / alpha) dD/dx_t: dense, matvec and diagonal against autograd Jacobians."""
    mix = mixture_factory(3, 3, 6)
    t = random_times(process, 4, 7)
    alpha, sigma = process.alpha_sigma(t)
    x0 = mix.sample(4, generator=8, dtype=F64)
    x = process.add_noise(x0, t, torch.randn(4, 3, generator=torch.Generator().manual_seed(9), dtype=F64))
    cov = mix.predict(x, alpha, sigma).covariance
    dense = cov.dense()
    v = torch.randn(4, 3, generator=torch.Generator().manual_seed(10), dtype=F64)
    for i in range(4):
        jac = torch.autograd.functional.jacobian(
            lambda xi, i=i: mix.predict(xi[None], alpha[i : i + 1], sigma[i : i + 1]).mean[0], x[i]
        )
        expected = sigma[i] ** 2 / alpha[i] * jac
        scale = float(expected.abs().max())
        torch.testing.assert_close(dense[i], expected, rtol=0, atol=1e-9 * scale)
        torch.testing.assert_close(dense[i], dense[i].T, rtol=0, atol=1e-12 * scale)
    torch.testing.assert_close(cov.matvec(v), torch.einsum("bij,bj->bi", dense, v), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(cov.diagonal(), torch.diagonal(dense, dim1=1, dim2=2), rtol=1e-12, atol=1e-12)
    assert bool((torch.linalg.eigvalsh(dense) > 0).all())


def test_single_gaussian_posterior_covariance_closed_form() -> None:
    """One Gaussian: Cov[x0 | x_t] = S - a^2 S (a^2 S + s^2 I)^-1 S and E[x0 | x_t] is the Kalman update."""
    cov = torch.tensor([[1.0, 0.4], [0.4, 0.6]], dtype=F64)
    mean = torch.tensor([0.3, -1.0], dtype=F64)
    a, s = torch.tensor([0.8], dtype=F64), torch.tensor([0.5], dtype=F64)
    x = torch.tensor([[1.0, 2.0]], dtype=F64)
    pred = Gaussian(mean, cov).predict(x, a, s)
    gain = a * cov @ torch.linalg.inv(a**2 * cov + s**2 * torch.eye(2, dtype=F64))
    torch.testing.assert_close(pred.mean[0], mean + gain @ (x[0] - a * mean), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(pred.covariance.dense()[0], cov - a * gain @ cov, rtol=1e-13, atol=1e-13)


# ----------------------------------------------------------------------------- densities
def test_log_prob_integrates_to_one_1d() -> None:
    """The 1-D data density and a noisy marginal integrate to 1 under scipy quad (1e-9)."""
    mix = GaussianMixture(
        torch.tensor([0.2, 0.5, 0.3]), torch.tensor([[-2.0], [0.5], [3.0]]), torch.tensor([0.3, 1.0, 0.1])
    )
    p = VP()
    for process, t in ((None, 0.0), (p, 0.4)):
        f = lambda u, pr=process, tt=t: float(torch.exp(mix.log_prob(torch.tensor([[u]], dtype=F64), pr, tt)))  # noqa: E731
        total, _ = quad(f, -np.inf, np.inf, points=None, limit=200, epsabs=1e-12)
        assert total == pytest.approx(1.0, abs=1e-9)


def test_log_prob_integrates_to_one_2d(mixture_factory: Factory) -> None:
    """Trapezoid on a 701^2 grid over [-10, 10]^2 (spectrally accurate for Gaussians): 1e-8."""
    mix = mixture_factory(2, 3, 11)
    u = torch.linspace(-10, 10, 701, dtype=F64)
    grid = torch.stack(torch.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 2)
    h = float(u[1] - u[0])
    for process, t in ((None, 0.0), (VP(), 0.3)):
        dens = torch.exp(mix.log_prob(grid, process, t)).reshape(701, 701)
        assert float(torch.trapezoid(torch.trapezoid(dens, dx=h), dx=h)) == pytest.approx(1.0, abs=1e-8)


# ----------------------------------------------------------------------------- sampling
def test_sample_moments_and_component_frequencies(mixture_factory: Factory) -> None:
    """Sample mean, covariance and component frequencies match mean(), covariance(), weights (5 MC SE)."""
    mix = mixture_factory(2, 3, 12)
    n = 100000
    x, comp = mix.sample(n, generator=torch.Generator().manual_seed(13), dtype=F64, return_components=True)
    mean, cov = mix.mean(), mix.covariance()
    se_mean = (torch.diagonal(cov) / n).sqrt()
    assert bool(((x.mean(0) - mean).abs() < 5 * se_mean).all())
    centred = x - mean
    prods = centred[:, :, None] * centred[:, None, :]
    se_cov = prods.std(0) / math.sqrt(n)
    assert bool(((prods.mean(0) - cov).abs() < 5 * se_cov).all())
    freq = torch.bincount(comp, minlength=3).to(F64) / n
    se_w = (mix.weights * (1 - mix.weights) / n).sqrt()
    assert bool(((freq - mix.weights).abs() < 5 * se_w).all())
    for k in range(3):
        xk = x[comp == k]
        assert bool(((xk.mean(0) - mix.means[k]).abs() < 5 * (torch.diagonal(mix.covs[k]) / len(xk)).sqrt()).all())


def test_moments_closed_form() -> None:
    """mean() = sum w_k mu_k; covariance() = sum w_k (S_k + mu_k mu_k^T) - mean mean^T, by hand."""
    mix = GaussianMixture(torch.tensor([1.0, 3.0]), torch.tensor([[0.0, 1.0], [2.0, -1.0]]), torch.tensor([0.5, 2.0]))
    torch.testing.assert_close(mix.mean(), torch.tensor([1.5, -0.5], dtype=F64))
    # var of coordinate 0: 0.25*0.5 + 0.75*2 + 0.25*0.75*(0 - 2)^2 = 2.375; cov01 = -w0 w1 * 2 * 2 = -0.75
    expected = torch.tensor([[2.375, -0.75], [-0.75, 2.375]], dtype=F64)
    torch.testing.assert_close(mix.covariance(), expected, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(mix.weights, torch.tensor([0.25, 0.75], dtype=F64))


def test_sample_is_batch_size_invariant(mixture_factory: Factory) -> None:
    """With an int seed sample i does not depend on n; a slice is reproduced by its per-sample seeds."""
    mix = mixture_factory(3, 3, 14)
    big, comp_big = mix.sample(10, generator=5, dtype=F64, return_components=True)
    small, comp_small = mix.sample(4, generator=5, dtype=F64, return_components=True)
    torch.testing.assert_close(big[:4], small, rtol=0, atol=0)
    assert torch.equal(comp_big[:4], comp_small)
    tail = mix.sample(3, generator=[derive_seed(5, i) for i in (7, 8, 9)], dtype=F64)
    torch.testing.assert_close(big[7:], tail, rtol=0, atol=0)


def test_sample_event_shape_and_dtype() -> None:
    """Samples take the event shape and the requested dtype."""
    mix = GaussianMixture(torch.ones(1), torch.arange(6.0)[None], torch.tensor([1e-8]), event_shape=(2, 3))
    x = mix.sample(2, generator=0)
    assert x.dtype == torch.float32 and x.shape == (2, 2, 3)
    torch.testing.assert_close(x, torch.arange(6.0).reshape(1, 2, 3).expand(2, 2, 3), rtol=0, atol=1e-3)


# ----------------------------------------------------------------------------- posteriors
def brute_force_log_posterior(
    mix: GaussianMixture, a: np.ndarray, y: np.ndarray, noise: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """log p(x) + log N(y; A x, C) - log p(y), with p(y) = sum_k w_k N(y; A mu_k, A S_k A^T + C)."""
    like = np.array([multivariate_normal(a @ xi, noise).logpdf(y) for xi in x])
    evidence = np.logaddexp.reduce(
        [
            math.log(float(w)) + multivariate_normal(a @ m.numpy(), a @ c.numpy() @ a.T + noise).logpdf(y)
            for w, m, c in zip(mix.weights, mix.means, mix.covs, strict=True)
        ]
    )
    return mixture_log_pdf(mix, x) + like - evidence


NOISES = {
    "scalar": (0.3, np.diag([0.3, 0.3])),
    "diagonal": (torch.tensor([0.2, 0.5], dtype=F64), np.diag([0.2, 0.5])),
    "full": (torch.tensor([[0.4, 0.1], [0.1, 0.3]], dtype=F64), np.array([[0.4, 0.1], [0.1, 0.3]])),
}


@pytest.mark.parametrize("noise", list(NOISES), ids=list(NOISES))
def test_posterior_matches_bayes_rule(noise: str, mixture_factory: Factory) -> None:
    """The posterior mixture's log density equals Bayes' rule by brute force (y in R^2, x in R^3)."""
    mix = mixture_factory(3, 3, 15)
    a = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0]])
    y = np.array([0.7, -1.2])
    cov_arg, cov_np = NOISES[noise]
    post = mix.posterior(torch.from_numpy(a), torch.from_numpy(y), cov_arg)
    x = 2 * torch.randn(7, 3, generator=torch.Generator().manual_seed(16), dtype=F64)
    np.testing.assert_allclose(
        post.log_prob(x).numpy(),
        brute_force_log_posterior(mix, a, y, cov_np, x.numpy()),
        rtol=1e-9,
        atol=1e-9,
    )


def test_posterior_evidence_by_quadrature(mixture_factory: Factory) -> None:
    """In 2-D, p(y) = int p(x) N(y; A x, C) dx on a fine grid reproduces the posterior normaliser (1e-8)."""
    mix = mixture_factory(2, 2, 17)
    a = np.array([[0.8, 0.4]])
    y, c = np.array([0.5]), np.array([[0.2]])
    u = torch.linspace(-12, 12, 801, dtype=F64)
    grid = torch.stack(torch.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 2)
    h = float(u[1] - u[0])
    log_joint = (
        mix.log_prob(grid).numpy()
        - 0.5 * ((grid.numpy() @ a.T - y) ** 2).sum(1) / c[0, 0]
        - 0.5 * math.log(2 * math.pi * c[0, 0])
    )
    evidence = float(np.trapezoid(np.trapezoid(np.exp(log_joint).reshape(801, 801), dx=h), dx=h))
    post = mix.posterior(torch.from_numpy(a), torch.from_numpy(y), 0.2)
    np.testing.assert_allclose(
        post.log_prob(grid[::997]).numpy(), log_joint[::997] - math.log(evidence), rtol=1e-8, atol=1e-8
    )


def test_posterior_gaussian_closed_form() -> None:
    """Gaussian prior, A = I, noise c: posterior N(m + S (S + c)^-1 (y - m), S - S (S + c)^-1 S)."""
    cov = torch.tensor([[1.0, 0.5], [0.5, 2.0]], dtype=F64)
    m, y, c = torch.tensor([0.1, 0.2], dtype=F64), torch.tensor([1.0, -1.0], dtype=F64), 0.5
    post = Gaussian(m, cov).posterior(torch.eye(2, dtype=F64), y, c)
    k = cov @ torch.linalg.inv(cov + c * torch.eye(2, dtype=F64))
    torch.testing.assert_close(post.means[0], m + k @ (y - m), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(post.covs[0], cov - k @ cov, rtol=1e-13, atol=1e-13)


def test_posterior_bad_shapes_raise(mixture_factory: Factory) -> None:
    """A of the wrong width or y of the wrong length raise ValueErrors naming the shapes."""
    mix = mixture_factory(3, 2, 18)
    a = torch.ones(2, 3, dtype=F64)
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        mix.posterior(torch.ones(2, 4, dtype=F64), torch.zeros(2), 0.1)
    with pytest.raises(ValueError, match=r"\(3,\)"):
        mix.posterior(a, torch.zeros(3), 0.1)


@pytest.mark.parametrize("noise_cov", [torch.ones(3), torch.eye(3), torch.ones(2, 2, 2)], ids=["diag", "full", "3-d"])
def test_posterior_bad_noise_shape_raises(noise_cov: Tensor, mixture_factory: Factory) -> None:
    """A noise covariance not matching y's length m = 2 is refused with a ValueError naming its shape."""
    mix = mixture_factory(3, 2, 18)
    with pytest.raises(ValueError, match=re.escape(str(tuple(noise_cov.shape)))):
        mix.posterior(torch.ones(2, 3, dtype=F64), torch.zeros(2), noise_cov)


@pytest.mark.parametrize(
    "noise_cov",
    [-0.5, torch.tensor([-0.2, 1.0]), torch.tensor([[1.0, 2.0], [2.0, 1.0]])],
    ids=["negative-scalar", "negative-diagonal", "indefinite-full"],
)
def test_posterior_non_pd_noise_raises(noise_cov: object, mixture_factory: Factory) -> None:
    """A noise covariance that is not positive definite is refused with a ValueError naming it."""
    mix = mixture_factory(3, 2, 19)
    with pytest.raises(ValueError, match="noise"):
        mix.posterior(torch.ones(2, 3, dtype=F64), torch.zeros(2), noise_cov)


def test_mixture_constructor_validation() -> None:
    """Non-PD covariances, negative weights and mismatched shapes are refused."""
    with pytest.raises(ValueError, match="positive definite"):
        GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.tensor([[[1.0, 2.0], [2.0, 1.0]]]))
    with pytest.raises(ValueError, match="non-negative"):
        GaussianMixture(torch.tensor([1.0, -1.0]), torch.zeros(2, 2), torch.ones(2))
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        GaussianMixture(torch.ones(2), torch.zeros(2, 2), torch.ones(3, 2, 2))
    with pytest.raises(ValueError, match="event_shape"):
        GaussianMixture(torch.ones(1), torch.zeros(1, 4), torch.ones(1), event_shape=(3,))
    with pytest.raises(ValueError, match="d = 2"):
        GaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.ones(1)).log_prob(torch.zeros(3, 3))


# ----------------------------------------------------------------------------- flow map
def test_flow_map_single_gaussian_closed_form() -> None:
    """Diagonal Gaussian: the PF-ODE map from (y_T, s_T) to s = 0 is m + sqrt(v / (v + s_T^2)) (y_T - m)."""
    m = torch.tensor([0.5, -1.0, 2.0], dtype=F64)
    v = torch.tensor([0.3, 1.0, 2.5], dtype=F64)
    s_t = 20.0
    y_t = m + s_t * torch.randn(4, 3, generator=torch.Generator().manual_seed(20), dtype=F64)
    out = flow_map(ve_denoiser(Gaussian(m, v)), y_t, s_t)
    torch.testing.assert_close(out, m + torch.sqrt(v / (v + s_t**2)) * (y_t - m), rtol=0, atol=1e-8)


def test_isotropic_fast_path_matches_general_formulas() -> None:
    """Mixtures of isotropic components take a fast path; it must agree with the eigenbasis formulas."""
    g = torch.Generator().manual_seed(11)
    means = torch.randn(6, 5, generator=g, dtype=F64) * 2
    variances = torch.rand(6, generator=g, dtype=F64) + 0.05
    fast = GaussianMixture(torch.rand(6, generator=g, dtype=F64) + 0.3, means, variances)
    general = GaussianMixture(fast.weights, fast.means, fast.covs)
    general.isotropic_variances = None
    assert fast.isotropic_variances is not None
    x = torch.randn(40, 5, generator=g, dtype=F64) * 3
    alpha = torch.rand(40, generator=g, dtype=F64) + 0.01
    sigma = torch.rand(40, generator=g, dtype=F64) + 0.01
    pf, pg = fast.predict(x, alpha, sigma), general.predict(x, alpha, sigma)
    v = torch.randn(40, 5, generator=g, dtype=F64)
    torch.testing.assert_close(pf.mean, pg.mean, atol=1e-12, rtol=0)
    torch.testing.assert_close(pf.covariance.matvec(v), pg.covariance.matvec(v), atol=1e-12, rtol=0)
    torch.testing.assert_close(pf.covariance.dense(), pg.covariance.dense(), atol=1e-12, rtol=0)
    torch.testing.assert_close(pf.covariance.diagonal(), pg.covariance.diagonal(), atol=1e-12, rtol=0)
    torch.testing.assert_close(fast.log_prob(x), general.log_prob(x), atol=1e-12, rtol=0)
