"""Noise models against scipy.stats and dense linear algebra; sample moments within Monte Carlo error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch
from torch import Tensor

from sciddiff.operators import (
    DiagonalGaussian,
    FullGaussian,
    GaussianNoise,
    GaussianNoiseModel,
    LowRankGaussian,
    Poisson,
    as_noise_model,
    noise_kind,
)

F64 = torch.float64


def randn(*shape: int, seed: int = 0) -> Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def spd(d: int, seed: int) -> Tensor:
    root = randn(d, d, seed=seed)
    return root @ root.T + 0.5 * torch.eye(d, dtype=F64)


EVENT = (2, 3)  # observations y of shape (B, 2, 3), d = 6


def gaussian_models() -> dict[str, GaussianNoiseModel]:
    return {
        "scalar": GaussianNoise(0.7, shape=EVENT),
        "std_tensor": GaussianNoise(torch.tensor([0.5, 1.0, 2.0], dtype=F64), shape=EVENT),
        "diagonal": DiagonalGaussian(0.2 + randn(2, 3, seed=1) ** 2),
        "low_rank": LowRankGaussian(0.3 + randn(6, seed=2) ** 2, randn(6, 2, seed=3)),
        "full": FullGaussian(spd(6, seed=4)),
    }


@pytest.fixture(params=list(gaussian_models()), ids=list(gaussian_models()))
def gaussian(request: pytest.FixtureRequest) -> GaussianNoiseModel:
    return gaussian_models()[request.param]


def test_log_likelihood_equals_scipy(gaussian: GaussianNoiseModel) -> None:
    mean, y = randn(4, *EVENT, seed=5), randn(4, *EVENT, seed=6)
    cov = gaussian.dense(EVENT).numpy()
    ref = [
        scipy.stats.multivariate_normal(m.reshape(-1).numpy(), cov).logpdf(v.reshape(-1).numpy())
        for m, v in zip(mean, y, strict=True)
    ]
    torch.testing.assert_close(gaussian.log_likelihood(y, mean), torch.tensor(ref, dtype=F64), rtol=1e-12, atol=1e-10)
    one = gaussian.log_likelihood(y[0], mean)  # one observation broadcast over the batch
    assert one.shape == (4,) and float(one[0]) == pytest.approx(ref[0], rel=1e-12)


def test_solve_whiten_and_matvec_agree_with_dense(gaussian: GaussianNoiseModel) -> None:
    """Sigma r, Sigma^-1 r, and whitening W = L^-1 with W^T W = Sigma^-1 and L L^T = Sigma."""
    d = 6
    cov = gaussian.dense(EVENT)
    eye = torch.eye(d, dtype=F64).reshape(d, *EVENT)
    r = randn(3, *EVENT, seed=7)
    flat = r.reshape(3, d)
    tol = {"rtol": 0, "atol": 1e-11}
    torch.testing.assert_close(gaussian.cov_matvec(r).reshape(3, d), flat @ cov, **tol)
    torch.testing.assert_close(gaussian.solve(r).reshape(3, d), torch.linalg.solve(cov, flat.T).T, **tol)
    w = gaussian.whiten(eye).reshape(d, d).T  # column j = L^-1 e_j
    torch.testing.assert_close(w.T @ w, torch.linalg.inv(cov), **tol)
    lower = gaussian.unwhiten(eye).reshape(d, d).T
    torch.testing.assert_close(lower @ lower.T, cov, **tol)
    torch.testing.assert_close(gaussian.whiten(gaussian.unwhiten(r)), r, **tol)
    logdet = gaussian.logdet(EVENT)
    assert float(logdet) == pytest.approx(float(torch.logdet(cov)), rel=1e-12)


def test_low_rank_woodbury_equals_dense_solve() -> None:
    """Woodbury solve in O(d k^2) equals the dense solve, for d = 50, k = 3."""
    model = LowRankGaussian(0.1 + torch.rand(50, generator=torch.Generator().manual_seed(8), dtype=F64), randn(50, 3))
    cov = torch.diag(model.diag) + model.factor @ model.factor.T
    r = randn(4, 50, seed=9)
    torch.testing.assert_close(model.solve(r), torch.linalg.solve(cov, r.T).T, rtol=0, atol=1e-10)
    torch.testing.assert_close(model.dense(), cov, rtol=0, atol=0)


def test_full_gaussian_whitens_by_cholesky() -> None:
    cov = spd(5, seed=10)
    model = FullGaussian(cov)
    r = randn(2, 5, seed=11)
    expected = torch.linalg.solve_triangular(torch.linalg.cholesky(cov), r.T, upper=False).T
    torch.testing.assert_close(model.whiten(r), expected, rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="not positive definite"):
        FullGaussian(-cov)
    with pytest.raises(ValueError, match="not symmetric"):
        FullGaussian(cov + torch.triu(torch.ones(5, 5, dtype=F64), 1))
    with pytest.raises(ValueError, match="covariance of size 5"):
        model.whiten(randn(2, 6))


def test_gaussian_sample_moments(gaussian: GaussianNoiseModel) -> None:
    """Empirical mean and covariance of 20000 draws within 5 standard errors of (mean, Sigma)."""
    n, d = 20000, 6
    mean = randn(1, *EVENT, seed=12).expand(n, *EVENT)
    draws = (gaussian.sample(mean, generator=torch.Generator().manual_seed(13)) - mean).reshape(n, d)
    cov = gaussian.dense(EVENT)
    sd = torch.diagonal(cov).sqrt()
    assert bool((draws.mean(0).abs() < 5 * sd / math.sqrt(n)).all())
    emp = draws.T @ draws / n
    se = ((torch.diagonal(cov)[:, None] * torch.diagonal(cov)[None, :] + cov**2) / n).sqrt()
    assert bool(((emp - cov).abs() < 5 * se).all())


def test_per_sample_seeds_do_not_depend_on_batch_size() -> None:
    for model in (GaussianNoise(0.3), FullGaussian(spd(3, seed=14)), Poisson(5.0)):
        mean = torch.full((4, 3), 2.0, dtype=F64)
        torch.testing.assert_close(model.sample(mean, generator=7)[:2], model.sample(mean[:2], generator=7))


def test_zero_std_is_noiseless() -> None:
    model = GaussianNoise(0.0, shape=(3,))
    mean = randn(2, 3, seed=15)
    assert torch.equal(model.sample(mean, generator=0), mean)
    with pytest.raises(ValueError, match="zero variances"):
        model.solve(mean)


def test_poisson_log_likelihood_equals_scipy() -> None:
    scale = 3.0
    mean = torch.tensor([[0.0, 0.5, 2.0, 7.25], [1.0, 0.1, 4.0, 0.0]], dtype=F64)
    counts = torch.tensor([[0, 1, 5, 20], [3, 0, 12, 0]], dtype=F64)
    ref = scipy.stats.poisson(scale * mean.numpy()).logpmf(counts.numpy()).sum(1)
    model = Poisson(scale)
    torch.testing.assert_close(
        model.log_likelihood(counts / scale, mean), torch.tensor(ref, dtype=F64), rtol=1e-13, atol=1e-12
    )
    assert np.isfinite(ref).all()


def test_poisson_sample_moments_and_errors() -> None:
    """E[y] = mean and Var[y] = mean / scale within 5 standard errors; counts are integers / scale."""
    n, scale = 40000, 2.0
    mean = torch.tensor([0.5, 3.0, 10.0], dtype=F64).expand(n, 3)
    y = Poisson(scale).sample(mean, generator=torch.Generator().manual_seed(16))
    k = y * scale
    assert torch.equal(k, k.round())
    var = mean[0] / scale
    assert bool(((y.mean(0) - mean[0]).abs() < 5 * (var / n).sqrt()).all())
    # Var of the sample variance of a Poisson count: (mu4 - sigma^4) / n with mu4 = lam (1 + 3 lam)
    lam = scale * mean[0]
    se_var = ((lam * (1 + 3 * lam) - lam**2) / n).sqrt() / scale**2
    assert bool(((y.var(0) - var).abs() < 5 * se_var).all())
    with pytest.raises(ValueError, match=r"mean >= 0.*-0\.5"):
        Poisson().sample(torch.tensor([[1.0, -0.5]], dtype=F64))
    with pytest.raises(ValueError, match="positive"):
        Poisson(0.0)


def test_as_noise_model_validates() -> None:
    model = as_noise_model(0.1, (3, 4))
    assert isinstance(model, GaussianNoise) and model.dense().shape == (12, 12)
    assert isinstance(as_noise_model(torch.full((4,), 0.2), (3, 4)), GaussianNoise)
    with pytest.raises(ValueError, match=r"-0\.3"):
        as_noise_model(-0.3, (3, 4))
    with pytest.raises(ValueError, match="nan"):
        as_noise_model(float("nan"), (3, 4))
    with pytest.raises(ValueError, match=r"-1\.0 at index \(2,\)"):
        as_noise_model(torch.tensor([0.1, 0.2, -1.0, 0.3]), (3, 4))
    with pytest.raises(ValueError, match=r"shape \(3,\) is not broadcastable to the observation shape \(3, 4\)"):
        as_noise_model(torch.ones(3), (3, 4))
    with pytest.raises(ValueError, match="NoiseModel"):
        as_noise_model(None, (3,))  # type: ignore[arg-type]
    full = FullGaussian(spd(4, seed=17))
    assert as_noise_model(full, (2, 2)) is full
    with pytest.raises(ValueError, match="covariance of size 4"):
        as_noise_model(full, (3, 4))
    assert isinstance(as_noise_model(Poisson(), (3,)), Poisson)


def test_noise_kinds() -> None:
    """Methods declare the noise families they support by these names; equal stds count as isotropic."""
    assert noise_kind(as_noise_model(0.1, (3,))) == "scalar"
    assert noise_kind(as_noise_model(torch.full((3,), 0.2), (3,))) == "scalar"
    assert noise_kind(as_noise_model(torch.tensor([0.1, 0.2, 0.3]), (3,))) == "diagonal"
    assert noise_kind(DiagonalGaussian(torch.tensor([1.0, 2.0]))) == "diagonal"
    assert noise_kind(LowRankGaussian(1.0, randn(3, 1))) == "lowrank"
    assert noise_kind(FullGaussian(spd(3, seed=18))) == "full"
    assert noise_kind(Poisson()) == "poisson"
    assert float(DiagonalGaussian(4.0).std) == 2.0
    with pytest.raises(ValueError, match="NoiseModel"):
        noise_kind(0.1)  # type: ignore[arg-type]
