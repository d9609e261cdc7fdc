"""Guidance and posterior sampling against closed-form posteriors."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from torch import Tensor

import sciddiff
from sciddiff.analytic import Gaussian, GaussianMixture
from sciddiff.denoisers import Cost
from sciddiff.guidance import METHODS, get_method
from sciddiff.guidance.observation import Observation
from sciddiff.operators import BlackBox, Differentiable, GaussianNoise, Identity, Mask, Matrix, Poisson
from sciddiff.processes import EDM, VP

F64 = torch.float64


def gaussian_problem(d: int = 4, m: int = 2, isotropic: bool = False, seed: int = 0) -> tuple:
    g = torch.Generator().manual_seed(seed)
    mean = torch.randn(d, generator=g, dtype=F64)
    if isotropic:
        cov = 0.7 * torch.eye(d, dtype=F64)
    else:
        l_ = torch.randn(d, d, generator=g, dtype=F64)
        cov = l_ @ l_.T / d + 0.2 * torch.eye(d, dtype=F64)
    prior = Gaussian(mean, cov)
    a = torch.randn(m, d, generator=g, dtype=F64)
    y = torch.randn(m, generator=g, dtype=F64)
    return prior, a, y


def _call_guided(
    method: str, prior: GaussianMixture, a: Tensor, y: Tensor, sy: float, x: Tensor, t: Tensor, **options: object
) -> Tensor:
    process = VP()
    obs = Observation(Matrix(a), y, GaussianNoise(torch.tensor(sy, dtype=F64), shape=(a.shape[0],)), "scalar")
    guided = get_method(method, **options).guided(prior.denoiser(process), process, obs, Cost())
    return guided(x, t)


@pytest.mark.parametrize("use_exact", [True, False], ids=["exact-cov", "jacobian"])
def test_mmps_guided_denoiser_is_the_exact_posterior_denoiser(use_exact: bool) -> None:
    """For a Gaussian prior, MMPS's E[x0 | x_t, y] equals the posterior prior's exact denoiser at every t."""
    prior, a, y = gaussian_problem()
    sy, process = 0.3, VP()
    post = prior.posterior(a, y, sy**2)
    x = torch.randn(6, 4, dtype=F64, generator=torch.Generator().manual_seed(1))
    t = torch.tensor([0.01, 0.1, 0.3, 0.5, 0.8, 1.0], dtype=F64)
    guided = _call_guided("mmps", prior, a, y, sy, x, t, cg_iterations=2, use_exact_covariance=use_exact)
    assert torch.allclose(guided, post.denoiser(process)(x, t).mean, atol=1e-8)


def test_pigdm_exact_for_isotropic_prior() -> None:
    prior, a, y = gaussian_problem(isotropic=True)
    sy, process = 0.2, VP()
    post = prior.posterior(a, y, sy**2)
    x = torch.randn(5, 4, dtype=F64, generator=torch.Generator().manual_seed(2))
    t = torch.tensor([0.02, 0.2, 0.4, 0.7, 1.0], dtype=F64)
    guided = _call_guided("pigdm", prior, a, y, sy, x, t, data_var=0.7)
    assert torch.allclose(guided, post.denoiser(process)(x, t).mean, atol=1e-8)
    wrong = _call_guided("pigdm", prior, a, y, sy, x, t, data_var=2.0)
    assert (wrong - post.denoiser(process)(x, t).mean).abs().max() > 1e-3


@pytest.mark.parametrize("method", ["mmps", "pigdm"])
def test_posterior_samples_match_closed_form(method: str) -> None:
    """End to end: mean and covariance of 4000 samples within Monte Carlo error of the exact posterior."""
    prior, a, y = gaussian_problem(isotropic=method == "pigdm")
    sy = 0.3
    post = prior.posterior(a, y, sy**2)
    options = {"data_var": 0.7} if method == "pigdm" else {"cg_iterations": 2}
    xs, info = sciddiff.posterior_sample(
        prior.denoiser(VP()),
        VP(),
        a,
        y,
        sy,
        method,
        steps=200,
        n_samples=4000,
        generator=0,
        return_info=True,
        solver="dpmpp_2m",
        **options,
    )
    cov = post.covs[0]
    se = (torch.diagonal(cov) / 4000).sqrt()
    assert ((xs.mean(0) - post.means[0]).abs() < 5 * se).all()
    assert torch.allclose(torch.cov(xs.T), cov, atol=6 * float(cov.abs().max()) * (2 / 4000) ** 0.5)
    assert info.cost.nfe == 201 and info.nfe_per_sample == 201


class _NoBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: object, x: Tensor) -> Tensor:  # type: ignore[override]
        return x.clone()

    @staticmethod
    def backward(ctx: object, grad: Tensor) -> Tensor:  # type: ignore[override]
        raise RuntimeError("backward pass called on a derivative-free path")


def test_enkg_matches_posterior_mean_without_derivatives() -> None:
    prior, a, y = gaussian_problem()
    sy, process = 0.3, VP()
    post = prior.posterior(a, y, sy**2)
    den = prior.denoiser(process)

    def denoiser(x: Tensor, t: Tensor) -> Tensor:
        return den(_NoBackward.apply(x), t).mean

    op = BlackBox(lambda x: _NoBackward.apply(x) @ a.T, (4,), (2,), name="matrix")
    with torch.autograd.set_grad_enabled(True):
        xs = sciddiff.posterior_sample(denoiser, process, op, y, sy, "enkg", steps=100, n_samples=2000, generator=3)
    se = (torch.diagonal(post.covs[0]) / 2000).sqrt()
    assert ((xs.mean(0) - post.means[0]).abs() < 5 * se + 0.02).all()


def test_smc_error_falls_with_particles() -> None:
    """Mean over seeds of the error of the weighted-particle posterior mean: more particles, smaller error."""
    prior, a, y = gaussian_problem(d=2, m=1)
    sy, process = 0.2, VP()
    post = prior.posterior(a, y, sy**2)
    errors = []
    for n in (32, 512):
        errs = []
        for seed in range(6):
            xs, info = sciddiff.posterior_sample(
                prior.denoiser(process),
                process,
                a,
                y,
                sy,
                "smc",
                steps=60,
                n_samples=n,
                generator=seed,
                return_info=True,
            )
            errs.append(float((xs.mean(0) - post.means[0]).norm()))
            assert info.ess is not None and len(info.ess) == 60 and float(info.ess.min()) > 0
        errors.append(sum(errs) / len(errs))
    assert errors[1] < 0.45 * errors[0], errors


def test_ddrm_identity_matches_denoising_posterior_mean() -> None:
    """Above the noise level DDRM draws exactly from p(z_s | y); below it the update is approximate, so the
    sample mean matches E[x0 | y] to a fraction of the posterior spread (and exactly without noise)."""
    prior, _, _ = gaussian_problem()
    sy, process = 0.5, VP()
    y = torch.tensor([0.3, -0.8, 0.1, 0.5], dtype=F64)
    post = prior.posterior(torch.eye(4, dtype=F64), y, sy**2)
    xs = sciddiff.posterior_sample(
        prior.denoiser(process), process, Identity((4,)), y, sy, "ddrm", steps=20, n_samples=4000, generator=0
    )
    spread = torch.diagonal(post.covs[0]).sqrt()
    assert ((xs.mean(0) - post.means[0]).abs() < 0.3 * spread).all()
    exact = sciddiff.posterior_sample(
        prior.denoiser(process), process, Identity((4,)), y, 0.0, "ddrm", steps=20, n_samples=8, generator=0
    )
    assert torch.allclose(exact, y.expand(8, 4), atol=1e-10)


def _quadrature_posterior(mix: GaussianMixture, f: object, y: float, sy: float) -> tuple[Tensor, Tensor]:
    """Posterior mean and standard deviation on a fine 2-D grid."""
    g = torch.linspace(-5, 5, 401, dtype=F64)
    xx, yy = torch.meshgrid(g, g, indexing="ij")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    logp = mix.log_prob(pts) - 0.5 * ((f(pts)[:, 0] - y) / sy) ** 2  # type: ignore[operator]
    w = torch.softmax(logp, 0)
    mean = (w[:, None] * pts).sum(0)
    std = ((w[:, None] * (pts - mean) ** 2).sum(0)).sqrt()
    return mean, std


def test_nonlinear_operator_dps_and_smc() -> None:
    """y = x1^2 + x2 (nonlinear): DPS lowers the data misfit; SMC matches the quadrature posterior."""
    mix = GaussianMixture(
        torch.tensor([0.5, 0.5]), torch.tensor([[-1.0, 0.0], [1.0, 0.5]], dtype=F64), torch.tensor([0.3, 0.3])
    )
    process = VP()

    def f(x: Tensor) -> Tensor:
        return (x[:, :1] ** 2 + x[:, 1:]).reshape(-1, 1)

    op = Differentiable(f, (2,), (1,), name="square_plus")
    y, sy = torch.tensor([1.6], dtype=F64), 0.2
    prior_samples = mix.sample(2000, generator=1, dtype=F64)
    dps = sciddiff.posterior_sample(
        mix.denoiser(process), process, op, y, sy, "dps", steps=200, n_samples=2000, generator=2
    )
    misfit = lambda x: ((f(x) - y) ** 2).mean()  # noqa: E731
    assert misfit(dps) < 0.1 * misfit(prior_samples)
    mean, std = _quadrature_posterior(mix, f, 1.6, sy)
    smc = sciddiff.posterior_sample(
        mix.denoiser(process), process, op, y, sy, "smc", steps=100, n_samples=4000, generator=3
    )
    assert ((smc.mean(0) - mean).abs() < 0.1 * std).all(), (smc.mean(0), mean)
    assert ((smc.std(0) - std).abs() < 0.1 * std).all(), (smc.std(0), std)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_runs_and_reports_cost(method: str) -> None:
    """Each method fits the data: posterior-mean residual below that of the prior mean, and cost is counted."""
    prior, a, y = gaussian_problem(d=4, m=4, seed=5)
    a = torch.eye(4, dtype=F64)
    process = VP()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, info = sciddiff.posterior_sample(
            prior.denoiser(process),
            process,
            Matrix(a).with_dense_svd(),
            y,
            0.2,
            method,
            steps=30,
            n_samples=64,
            generator=0,
            return_info=True,
        )
    assert xs.shape == (64, 4) and torch.isfinite(xs).all()
    assert (xs.mean(0) - y).norm() < (prior.means[0] - y).norm()
    assert info.cost.nfe >= 30 and info.cost.operator_calls > 0
    needs_vjp = method in ("dps", "pigdm", "reddiff", "smc")  # mmps uses the oracle's exact covariance
    assert (info.cost.vjp > 0) == needs_vjp


# ------------------------------------------------------------------------------------------------ errors
def test_bad_input_is_refused_before_any_computation() -> None:
    prior, a, y = gaussian_problem()
    calls = []

    def den(x: Tensor, t: Tensor) -> Tensor:
        calls.append(1)
        return prior.denoiser(VP())(x, t).mean

    run = lambda *args, **kw: sciddiff.posterior_sample(den, VP(), *args, **kw)  # noqa: E731
    with pytest.raises(ValueError, match=r"y has shape \(3,\); operator .* expects \(2,\)"):
        run(a, torch.zeros(3, dtype=F64), 0.1, "mmps")
    with pytest.raises(ValueError, match=r"finite and >= 0, got -0\.1"):
        run(a, y, -0.1, "mmps")
    with pytest.raises(ValueError, match="finite and >= 0, got nan"):
        run(a, y, math.nan, "mmps")
    with pytest.raises(ValueError, match="NaN"):
        run(a, torch.tensor([0.1, math.nan], dtype=F64), 0.1, "mmps")
    box = BlackBox(lambda x: x @ a.T, (4,), (2,))
    with pytest.raises(ValueError, match=r"needs a svd operator.*black box"):
        run(box, y, 0.1, "ddrm")
    with pytest.raises(ValueError, match=r"supports noise models.*diagonal"):
        run(a, y, torch.tensor([0.1, 0.2], dtype=F64), "ddrm")
    with pytest.raises(ValueError, match=r"supports noise models.*poisson"):
        run(a, y, Poisson(10.0), "mmps")
    with pytest.raises(ValueError, match="unknown posterior method"):
        run(a, y, 0.1, "dpsx")
    with pytest.raises(ValueError, match="n_samples >= 2"):
        run(a, y, 0.1, "enkg", n_samples=1)
    with pytest.raises(ValueError, match="needs noise_std > 0"):
        run(a, y, 0.0, "dps")
    assert not calls


def test_warnings_not_errors() -> None:
    prior, _a, y = gaussian_problem(d=4, m=4, seed=1)
    process = VP()
    with pytest.warns(RuntimeWarning, match="effective sample size collapsed"):
        sciddiff.posterior_sample(
            prior.denoiser(process),
            process,
            Identity((4,)),
            y * 10,
            0.01,
            "smc",
            steps=20,
            n_samples=64,
            proposal="prior",
            generator=0,
        )
    big = torch.randn(40, 40, dtype=F64, generator=torch.Generator().manual_seed(0))
    prior40 = Gaussian(torch.zeros(40, dtype=F64), big @ big.T / 40 + 0.01 * torch.eye(40, dtype=F64))
    with pytest.warns(RuntimeWarning, match="conjugate gradient"):
        sciddiff.posterior_sample(
            prior40.denoiser(process),
            process,
            Identity((40,)),
            torch.ones(40, dtype=F64),
            1e-3,
            "mmps",
            steps=5,
            n_samples=4,
            cg_iterations=1,
            generator=0,
        )
    with pytest.warns(RuntimeWarning, match="residuals far above the noise level"):
        sciddiff.posterior_sample(
            prior.denoiser(process),
            process,
            Identity((4,)),
            y * 10,
            0.01,
            "diffpir",
            steps=10,
            n_samples=16,
            lam=1e6,
            generator=0,
        )


def test_mask_operator_inpainting_with_repaint_and_ddnm() -> None:
    """Noiseless inpainting: observed entries are reproduced exactly, the rest follows the exact conditional."""
    prior, _, _ = gaussian_problem(d=4, seed=3)
    mask = torch.tensor([True, False, True, False])
    truth = prior.sample(1, generator=4, dtype=F64)[0]
    op = Mask(mask)
    y = truth[mask]
    post = prior.posterior(op.dense(), y, 1e-10)
    for method in ("repaint", "ddnm"):
        xs = sciddiff.posterior_sample(
            prior.denoiser(EDM()), EDM(), op, y, 0.0, method, steps=100, n_samples=2000, generator=1
        )
        assert torch.allclose(xs[:, mask], y.expand(2000, 2), atol=1e-6)
        spread = torch.diagonal(post.covs[0])[~mask].sqrt()
        assert ((xs[:, ~mask].mean(0) - post.means[0][~mask]).abs() < 0.25 * spread).all(), method


def test_classifier_guidance_gives_the_class_conditional_denoiser() -> None:
    """With the exact classifier p(k | x_t) of a mixture, guidance at scale 1 is E[x0 | x_t, k] exactly."""
    from sciddiff.guidance import ClassifierGuidance

    mix = GaussianMixture(
        torch.tensor([0.3, 0.7]),
        torch.tensor([[-1.0, 0.5], [1.0, -0.5]], dtype=F64),
        torch.tensor([[[0.5, 0.1], [0.1, 0.3]], [[0.4, 0.0], [0.0, 0.6]]], dtype=F64),
    )
    process = EDM()

    def log_classifier(x: Tensor, t: Tensor, label: int) -> Tensor:
        return torch.log(mix.responsibilities(x, process, t)[:, label])

    guided = ClassifierGuidance(mix.denoiser(process), process, log_classifier)
    x = torch.randn(5, 2, dtype=F64, generator=torch.Generator().manual_seed(0)) * 2
    t = torch.tensor([0.05, 0.3, 1.0, 3.0, 20.0], dtype=F64)
    for k in (0, 1):
        component = Gaussian(mix.means[k], mix.covs[k]).denoiser(process)
        torch.testing.assert_close(guided(x, t, label=k), component(x, t).mean, atol=1e-9, rtol=0)


def test_classifier_free_guidance_interpolates_and_extrapolates() -> None:
    from sciddiff.guidance import ClassifierFreeGuidance

    mix = GaussianMixture(torch.tensor([0.5, 0.5]), torch.tensor([[-1.0], [2.0]], dtype=F64), torch.tensor([0.2, 0.3]))
    process = VP()
    calls = []

    def denoiser(x: Tensor, t: Tensor, label: int | None = None) -> Tensor:
        calls.append(label)
        model = mix if label is None else Gaussian(mix.means[label], mix.covs[label])
        return model.denoiser(process)(x, t).mean

    x, t = torch.randn(4, 1, dtype=F64), torch.full((4,), 0.4, dtype=F64)
    cond, uncond = denoiser(x, t, label=1), denoiser(x, t)
    for w in (0.0, 1.0, 3.0):
        calls.clear()
        out = ClassifierFreeGuidance(denoiser, w, {"label": None})(x, t, label=1)
        torch.testing.assert_close(out, uncond + w * (cond - uncond), atol=1e-12, rtol=0)
        assert calls == ([None] if w == 0.0 else [None, 1])


def test_enkg_in_float32_with_more_unknowns_than_members() -> None:
    """A centred 16-member ensemble in 300 dimensions has a singular Gram matrix; in float32 the regression and
    the gain are still solved (in float64) and match the float64 run."""
    from sciddiff.guidance.enkg import ensemble_regression

    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 300, generator=g, dtype=torch.float64)
    y = x[:, :5] * 2.0 + 0.01 * torch.randn(16, 5, generator=g, dtype=torch.float64)
    slope32 = ensemble_regression(x.float(), y.float())
    assert slope32.dtype == torch.float32
    torch.testing.assert_close(slope32.double(), ensemble_regression(x, y), rtol=1e-4, atol=1e-5)
