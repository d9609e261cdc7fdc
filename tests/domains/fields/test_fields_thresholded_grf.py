"""The exact-prior reference for thresholded Gaussian fields: the Neumann covariance entry by entry, the orthant
Gibbs sampler and the whole posterior against rejection sampling from the prior."""

from __future__ import annotations

import numpy as np
import pytest
from sciddiff.domains.fields.baselines.thresholded_grf import (
    neumann_covariance,
    orthant_gibbs,
    thresholded_grf_posterior,
)
from sciddiff.domains.fields.simulators.grf import neumann_basis, neumann_eigenvalues, neumann_grf


def test_covariance_is_the_karhunen_loeve_sum_entry_by_entry() -> None:
    size = 3
    phi, lam = neumann_basis(size), neumann_eigenvalues(size)
    lam[0, 0] = 0.0
    cov = neumann_covariance(size)
    for p in range(size * size):
        for q in range(size * size):
            (i, j), (k, m) = divmod(p, size), divmod(q, size)
            expected = sum(
                phi[i, a] * phi[j, b] * phi[k, a] * phi[m, b] * lam[a, b] for a in range(size) for b in range(size)
            )
            assert cov[p, q] == pytest.approx(expected, rel=1e-12, abs=1e-18)
    fields = neumann_grf(20000, size, np.random.default_rng(0)).reshape(20000, -1)
    assert np.abs(np.cov(fields.T) - cov).max() < 0.05 * np.abs(cov).max()


def test_orthant_gibbs_matches_rejection_sampling() -> None:
    cov = np.array([[1.0, 0.8, 0.3], [0.8, 1.0, 0.5], [0.3, 0.5, 2.0]])
    signs = np.array([1.0, -1.0, 1.0])
    rng = np.random.default_rng(1)
    draws = orthant_gibbs(cov, signs, 4000, rng, burn=100, thin=2)
    assert np.all(np.sign(draws) == signs)
    prior = rng.multivariate_normal(np.zeros(3), cov, size=400_000)
    kept = prior[np.all(np.sign(prior) == signs, axis=1)]
    np.testing.assert_allclose(draws.mean(0), kept.mean(0), atol=0.05)
    np.testing.assert_allclose(draws.std(0), kept.std(0), atol=0.05)
    with pytest.raises(ValueError, match=r"need an \(3, 3\) covariance and signs of \+-1"):
        orthant_gibbs(cov, np.array([1.0, 0.0, 1.0]), 2, rng)


def test_posterior_of_the_field_matches_rejection_sampling_from_the_prior() -> None:
    size, sensors, signs = 4, np.array([0, 6, 13]), np.array([1.0, -1.0, -1.0])
    post = thresholded_grf_posterior(sensors, signs, size, 3000, seed=2, thin=2).reshape(3000, -1)
    assert np.all(np.sign(post[:, sensors]) == signs)
    prior = neumann_grf(200_000, size, np.random.default_rng(3)).reshape(200_000, -1)
    kept = prior[np.all(np.sign(prior[:, sensors]) == signs, axis=1)]
    np.testing.assert_allclose(post.mean(0), kept.mean(0), atol=0.06 * kept.std(0).max())
    np.testing.assert_allclose(post.std(0), kept.std(0), rtol=0.08)
    np.testing.assert_allclose((post >= 0).mean(0), (kept >= 0).mean(0), atol=0.04)  # the coefficient's law
    with pytest.raises(ValueError, match=r"sensor indices must lie in \[0, 16\), got 0\.\.16"):
        thresholded_grf_posterior(np.array([0, 16]), np.array([1.0, 1.0]), size, 2)
