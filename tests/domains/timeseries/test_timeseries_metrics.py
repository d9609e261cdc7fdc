"""Ensemble scores against scoringrules, properscoring, closed forms and small cases computed by hand."""

from __future__ import annotations

import re

import numpy as np
import properscoring
import pytest
import scoringrules
from sciddiff.domains.timeseries.metrics import (
    crps_ensemble,
    energy_score,
    energy_spectrum,
    interval_coverage,
    log_spectrum_error,
    mae_median,
    marginal_w1,
    quantile_crps,
    quantile_crps_sum,
    rmse_median,
    spread_skill_ratio,
)
from scipy.stats import norm


def _ensemble(seed: int, m: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, *shape)) * 1.5 + 0.3, rng.standard_normal(shape)


def test_crps_matches_scoringrules_and_properscoring() -> None:
    x, y = _ensemble(0, 37, (5, 7))
    ours = crps_ensemble(x, y, reduce=False)
    np.testing.assert_allclose(ours, scoringrules.crps_ensemble(y, x, m_axis=0, estimator="nrg"), rtol=1e-12)
    np.testing.assert_allclose(ours, properscoring.crps_ensemble(y, np.moveaxis(x, 0, -1)), rtol=1e-12)
    fair = crps_ensemble(x, y, fair=True, reduce=False)
    np.testing.assert_allclose(fair, scoringrules.crps_ensemble(y, x, m_axis=0, estimator="fair"), rtol=1e-12)
    assert crps_ensemble(x, y) == pytest.approx(ours.mean(), rel=1e-14)


def test_crps_small_cases_by_hand() -> None:
    # members {0, 1}, y = 0: E|X - y| = 1/2, E|X - X'| = 1/2 (fair: 1), so CRPS = 1/4 (fair: 0)
    assert crps_ensemble(np.array([0.0, 1.0]), np.array(0.0)) == pytest.approx(0.25)
    assert crps_ensemble(np.array([0.0, 1.0]), np.array(0.0), fair=True) == pytest.approx(0.0)
    # a one-member ensemble scores its absolute error
    assert crps_ensemble(np.array([[2.0, -1.0]]), np.array([0.5, 0.5])) == pytest.approx(1.5)
    # members {1, 2, 4}, y = 3: E|X - y| = 4/3, E|X - X'| = 2 (1 + 3 + 2) / 9 = 4/3, CRPS = 2/3
    assert crps_ensemble(np.array([4.0, 1.0, 2.0]), np.array(3.0)) == pytest.approx(2.0 / 3.0)


def _gaussian_crps(mu: float, s: float, y: np.ndarray) -> np.ndarray:
    z = (y - mu) / s
    return s * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def test_crps_of_a_gaussian_ensemble_converges_to_the_closed_form() -> None:
    mu, s = 1.0, 2.0
    y = np.array([-3.0, 0.0, 1.0, 2.5, 6.0])
    exact = _gaussian_crps(mu, s, y)
    m = 4000  # the ensemble at the quantile levels (i - 1/2) / m: deterministic, error O(1/m)
    grid = mu + s * norm.ppf((np.arange(m) + 0.5) / m)
    ours = crps_ensemble(np.repeat(grid[:, None], len(y), axis=1), y, reduce=False)
    np.testing.assert_allclose(ours, exact, atol=5e-4)
    draws = mu + s * np.random.default_rng(1).standard_normal((100_000, len(y)))
    fair = crps_ensemble(draws, y, fair=True, reduce=False)
    np.testing.assert_allclose(fair, exact, atol=4 * s / np.sqrt(100_000))


def test_quantile_crps_by_hand() -> None:
    """Members 0..4 and y = 2: linear quantiles q_a = 4a; pinball losses summed over a = 0.05, ..., 0.95."""
    x = np.arange(5.0)[:, None]
    y = np.array([2.0])
    a = np.arange(1, 20) * 0.05
    q = 4 * a
    loss = np.where(q >= 2, (q - 2) * (1 - a), (2 - q) * a)
    assert quantile_crps(x, y) == pytest.approx((2 * loss / 2).mean(), rel=1e-12)


def test_quantile_crps_approaches_the_exact_normalised_crps() -> None:
    """For large ensembles, 19 levels give the exact normalised CRPS to ~5% and L levels to O(1/L)."""
    rng = np.random.default_rng(2)
    mu = rng.normal(5.0, 1.0, size=200)
    y = mu + rng.standard_normal(200)
    x = mu + rng.standard_normal((3000, 200))
    exact = crps_ensemble(x, y, reduce=False).sum() / np.abs(y).sum()
    assert quantile_crps(x, y) == pytest.approx(exact, rel=0.06)
    fine = np.arange(1, 500) / 500
    assert quantile_crps(x, y, levels=fine) == pytest.approx(exact, rel=4e-3)


def test_quantile_crps_sum_scores_the_sum_over_variables() -> None:
    x, y = _ensemble(3, 50, (6, 4))
    y = y + 5
    mask = np.ones((6, 4), dtype=bool)
    mask[2, 1] = False  # time step 2 is then left out of the sum score
    keep = np.array([0, 1, 3, 4, 5])
    expected = quantile_crps(x[:, keep].sum(-1), y[keep].sum(-1))
    assert quantile_crps_sum(x, y, mask) == pytest.approx(expected, rel=1e-12)


def test_energy_score_matches_scoringrules_and_reduces_to_crps() -> None:
    x, y = _ensemble(4, 30, (4, 6))
    ours = energy_score(x, y, reduce=False)
    np.testing.assert_allclose(ours, scoringrules.es_ensemble(y, x, m_axis=0, v_axis=-1), rtol=1e-12)
    fair = energy_score(x, y, fair=True, reduce=False)
    ref = scoringrules.es_ensemble(y, x, m_axis=0, v_axis=-1, estimator="fair")
    np.testing.assert_allclose(fair, ref, rtol=1e-12)
    np.testing.assert_allclose(energy_score(x, y, event_ndim=0, reduce=False), crps_ensemble(x, y, reduce=False))
    whole = energy_score(x, y, event_ndim=2)
    ref = scoringrules.es_ensemble(y.reshape(-1), x.reshape(30, -1), m_axis=0, v_axis=-1)
    assert whole == pytest.approx(float(ref), rel=1e-12)


def test_masked_entries_are_left_out() -> None:
    x, y = _ensemble(5, 20, (3, 5))
    mask = np.zeros((3, 5), dtype=bool)
    mask[:, [0, 3]] = True
    y_nan = y.copy()
    y_nan[1, 3] = np.nan  # missing truth is never scored
    sub = (slice(None), slice(None), [0, 3])
    assert crps_ensemble(x, y, mask) == pytest.approx(crps_ensemble(x[sub], y[:, [0, 3]]))
    keep = mask.copy()
    keep[1, 3] = False
    assert crps_ensemble(x, y_nan, mask) == pytest.approx(crps_ensemble(x[:, keep], y[keep]))
    assert energy_score(x, y, mask) == pytest.approx(energy_score(x[sub], y[:, [0, 3]]))
    assert mae_median(x, y, mask) == pytest.approx(mae_median(x[sub], y[:, [0, 3]]))


def test_median_errors_by_hand() -> None:
    x = np.array([[0.0, 10.0], [1.0, 20.0], [5.0, 40.0]])  # medians 1 and 20
    y = np.array([2.0, 16.0])
    assert mae_median(x, y) == pytest.approx((1 + 4) / 2)
    assert rmse_median(x, y) == pytest.approx(np.sqrt((1 + 16) / 2))


def test_spread_skill_is_one_when_calibrated_and_not_when_overdispersed() -> None:
    rng = np.random.default_rng(6)
    n, m = 40_000, 10
    mu = 2.0 * rng.standard_normal(n)
    y = mu + rng.standard_normal(n)
    calibrated = mu + rng.standard_normal((m, n))
    # without the (m + 1) / m factor this would be sqrt(10 / 11) = 0.953
    assert spread_skill_ratio(calibrated, y) == pytest.approx(1.0, abs=0.015)
    wide = mu + 2.0 * rng.standard_normal((m, n))
    # E s^2 = 4 and E (mean - y)^2 = 1 + 4 / m, so the ratio is 2 sqrt(1.1 / 1.4) = 1.773
    assert spread_skill_ratio(wide, y) == pytest.approx(2 * np.sqrt(1.1 / 1.4), abs=0.02)


def test_interval_coverage_by_hand_and_when_calibrated() -> None:
    x = np.repeat(np.arange(101.0)[:, None], 5, axis=1)  # quantile at level a is 100 a
    y = np.array([10.0, 25.0, 50.0, 75.5, 90.0])
    assert interval_coverage(x, y, levels=(0.5, 0.9)) == pytest.approx({0.5: 0.4, 0.9: 1.0})
    rng = np.random.default_rng(7)
    draws, truth = rng.standard_normal((200, 20_000)), rng.standard_normal(20_000)
    cover = interval_coverage(draws, truth, levels=(0.5, 0.8, 0.95))
    for p, c in cover.items():
        assert c == pytest.approx(p, abs=0.015)


def test_bad_metric_inputs() -> None:
    x, y = _ensemble(8, 10, (4,))
    with pytest.raises(ValueError, match=re.escape("samples have shape (10, 4); expected (m, *obs.shape) with obs")):
        crps_ensemble(x, y[:3])
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match=re.escape("samples hold 1 non-finite value(s)")):
        energy_score(bad, y)
    with pytest.raises(ValueError, match="no entry to score"):
        crps_ensemble(x, y, np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="this score needs at least 2"):
        spread_skill_ratio(x[:1], y)
    with pytest.raises(ValueError, match=re.escape("quantile levels must lie strictly between 0 and 1, got [0.  0.5]")):
        quantile_crps(x, y, levels=[0.0, 0.5])


def test_energy_spectrum_of_known_modes_and_rollout_errors() -> None:
    x = 2 * np.pi * np.arange(64) / 64
    fields = np.stack([3.0 * np.cos(5 * x + p) + 0.5 * np.sin(2 * x) + 1.0 for p in (0.0, 1.0, 2.5)])
    e = energy_spectrum(fields)
    np.testing.assert_allclose(e[[0, 2, 5]], [1.0, 0.25 / 4, 9.0 / 4], rtol=1e-12)
    assert np.delete(e, [0, 2, 5]).max() < 1e-25
    np.testing.assert_allclose(e[0] + 2 * e[1:32].sum() + e[32], (fields**2).mean(), rtol=1e-12)  # Parseval
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(200, 32)) * np.exp(-0.1 * np.arange(32))
    assert log_spectrum_error(ref, ref) == 0.0
    scaled = log_spectrum_error(2.0 * ref, ref, k_max=10)  # log E shifts by log 4 at every wavenumber
    log_ref = np.log(energy_spectrum(ref)[1:11])
    assert scaled == pytest.approx(np.sqrt(10) * np.log(4.0) / np.linalg.norm(log_ref), rel=1e-12)
    assert marginal_w1(ref + 0.3, ref) == pytest.approx(0.3 / ref.std(), rel=1e-9)
    with pytest.raises(ValueError, match="the grids differ"):
        log_spectrum_error(ref[:, :16], ref)
