"""Naive forecasters and linear interpolation against exact continuations of lines and periodic series."""

from __future__ import annotations

import numpy as np
import pytest
from sciddiff.domains.timeseries.baselines import climatology, linear_interpolation, persistence, seasonal_naive


def test_linear_interpolation_is_exact_on_a_line_with_uneven_times() -> None:
    t = np.array([0.0, 0.5, 1.7, 2.0, 3.1, 4.4, 6.0, 7.5])
    line = np.stack([2.0 - 3.0 * t, 0.5 * t + 1.0], axis=1)
    gappy = line.copy()
    gappy[[1, 2, 5], 0] = np.nan
    gappy[[3, 4, 5, 6], 1] = np.nan
    out = linear_interpolation(gappy, t)
    assert out.samples.shape == (1, 8, 2)
    np.testing.assert_allclose(out.mean, line, rtol=0, atol=1e-12)


def test_linear_interpolation_on_datetimes_and_edges() -> None:
    time = np.array(["2000-01-01", "2000-01-02", "2000-01-05", "2000-01-06"], dtype="datetime64[ns]")
    out = linear_interpolation(np.array([np.nan, 1.0, np.nan, 6.0]), time).mean
    np.testing.assert_allclose(out, [1.0, 1.0, 4.75, 6.0])  # day 5 is 3/4 of the way from day 2 to day 6


def test_persistence_point_and_increment_ensemble_on_a_line() -> None:
    x = 3.0 + 0.5 * np.arange(30.0)
    x[-2:] = np.nan  # the last observation is two steps before the end
    point = persistence(x, 4)
    np.testing.assert_allclose(point.samples, np.full((1, 4), x[27]))
    # a line has identical changes over each lag, so the resampled ensemble is the exact continuation
    ens = persistence(x, 4, n_samples=50, seed=1)
    np.testing.assert_allclose(ens.samples, np.broadcast_to(3.0 + 0.5 * np.arange(30, 34), (50, 4)), atol=1e-12)
    # several variables, each continued along its own line
    two = np.stack([x, -2.0 * np.arange(30.0)], axis=1)
    ens2 = persistence(two, 3, n_samples=10, seed=2)
    exact = np.stack([3.0 + 0.5 * np.arange(30, 33), -2.0 * np.arange(30, 33)], axis=1)
    np.testing.assert_allclose(ens2.samples, np.broadcast_to(exact, (10, 3, 2)), atol=1e-12)


def test_seasonal_naive_continues_trend_plus_season_exactly() -> None:
    period = 7
    t = np.arange(60.0)
    season = np.array([0.0, 2.0, -1.0, 4.0, 3.0, -2.0, 1.0])
    x = np.stack([season[t.astype(int) % period], 0.1 * t + season[t.astype(int) % period]], axis=1)
    future = np.arange(60, 75)
    point = seasonal_naive(x, 15, period)
    np.testing.assert_allclose(point.samples[0, :, 0], season[future % period])
    ens = seasonal_naive(x, 15, period, n_samples=20, seed=2)
    exact = np.stack([season[future % period], 0.1 * future + season[future % period]], axis=1)
    np.testing.assert_allclose(ens.samples, np.broadcast_to(exact, (20, 15, 2)), atol=1e-12)


def test_seasonal_naive_skips_missing_values_in_the_same_phase() -> None:
    x = np.tile(np.arange(4.0), 5)
    x[-4 + 1] = np.nan  # the latest value of phase 1
    np.testing.assert_allclose(seasonal_naive(x, 4, 4).samples[0], [0.0, 1.0, 2.0, 3.0])


def test_climatology_resamples_observed_values() -> None:
    x = np.array([1.0, np.nan, 2.0, 2.0, 7.0])
    s = climatology(x, 3, 30_000, seed=3).samples
    values, counts = np.unique(s, return_counts=True)
    np.testing.assert_array_equal(values, [1.0, 2.0, 7.0])
    np.testing.assert_allclose(counts / s.size, [0.25, 0.5, 0.25], atol=0.01)
    np.testing.assert_array_equal(s, climatology(x, 3, 30_000, seed=3).samples)


def test_bad_baseline_inputs() -> None:
    with pytest.raises(ValueError, match="history holds inf at time index 2, variable 0"):
        persistence(np.array([1.0, 2.0, np.inf]), 2)
    with pytest.raises(ValueError, match="history variable 1 is entirely NaN over 3 time steps"):
        climatology(np.array([[1.0, np.nan]] * 3), 2, 5)
    with pytest.raises(ValueError, match="period must be between 1 and the history length 3, got 5"):
        seasonal_naive(np.arange(3.0), 2, 5)
    with pytest.raises(ValueError, match="horizon and n_samples must be >= 1, got horizon=0"):
        persistence(np.arange(3.0), 0)
