"""Offline real data: values checked against the files and against the packages' own loaders."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sciddiff.domains.timeseries.datasets import (
    load_basic_motions,
    load_co2,
    load_japanese_vowels,
    load_sunspots_monthly,
)
from statsmodels.datasets import co2 as sm_co2
from statsmodels.datasets import sunspots as sm_sunspots


def test_co2_matches_statsmodels_and_keeps_its_gaps() -> None:
    ds = load_co2()
    co2 = ds.co2
    reference = sm_co2.load_pandas().data["co2"]
    assert co2.sizes["time"] == 2284 and int(co2.isnull().sum()) == 59
    np.testing.assert_array_equal(co2.values, reference.to_numpy())  # NaN at the same places
    np.testing.assert_array_equal(co2.time.values, reference.index.to_numpy(dtype="datetime64[ns]"))
    assert np.all(np.diff(co2.time.values) == np.timedelta64(7, "D"))
    assert co2.time.values[0] == np.datetime64("1958-03-29") and co2.values[0] == 316.1
    assert co2.time.values[-1] == np.datetime64("2001-12-29") and co2.values[-1] == 371.5
    assert co2.attrs["units"] == "ppm"


def test_monthly_sunspots_values_and_calendar() -> None:
    s = load_sunspots_monthly().sunspots
    assert s.sizes["time"] == 12 * 260 + 6  # January 1749 to June 2009
    assert s.time.values[0] == np.datetime64("1749-01-01") and s.time.values[-1] == np.datetime64("2009-06-01")
    assert (pd.DatetimeIndex(s.time.values).day == 1).all()
    np.testing.assert_array_equal(s.sel(time="1749").values[:3], [58.0, 62.6, 70.0])
    np.testing.assert_array_equal(s.sel(time="1824").values, [21.7, 10.8, 0, 19.4, 2.8, 0, 0, 1.4, 20.5, 25.2, 0, 0.8])
    np.testing.assert_array_equal(s.sel(time="2009").values, [1.5, 1.4, 0.7, 1.2, 2.9, 2.6])
    assert not s.isnull().any()


def test_monthly_sunspots_average_to_statsmodels_yearly_values() -> None:
    """Annual means of the monthly file agree with statsmodels' yearly series to within 0.5 (rounding)."""
    annual = load_sunspots_monthly().sunspots.groupby("time.year").mean()
    yearly = sm_sunspots.load_pandas().data.set_index("YEAR")["SUNACTIVITY"]
    years = np.arange(1749, 2009)
    diff = annual.sel(year=years).values - yearly.loc[years].to_numpy()
    assert np.abs(diff).max() < 0.5 and np.abs(diff).mean() < 0.06


def test_basic_motions_layout_and_values() -> None:
    from aeon.datasets import load_basic_motions as aeon_load

    ds = load_basic_motions("test")
    x, y = aeon_load(split="TEST")
    assert ds.motion.dims == ("case", "time", "channel") and ds.motion.shape == (40, 100, 6)
    np.testing.assert_array_equal(ds.motion.values, x.transpose(0, 2, 1))
    np.testing.assert_array_equal(ds.label.values, y)
    np.testing.assert_allclose(ds.time.values, 0.1 * np.arange(100))
    assert ds.time.attrs["units"] == "s"
    assert Counter(ds.label.values) == {"standing": 10, "running": 10, "walking": 10, "badminton": 10}
    assert load_basic_motions("all").sizes["case"] == 80


def test_japanese_vowels_pads_with_nan() -> None:
    from aeon.datasets import load_japanese_vowels as aeon_load

    ds = load_japanese_vowels("train")
    cases, _ = aeon_load(split="TRAIN")
    values, lengths = ds.cepstrum.values, ds.length.values
    assert ds.cepstrum.shape == (270, lengths.max(), 12) and lengths.min() == 7 and lengths.max() == 26
    for i in (0, 17, 269):
        np.testing.assert_array_equal(values[i, : lengths[i]], np.asarray(cases[i]).T)
        assert np.isnan(values[i, lengths[i] :]).all()
    assert np.isfinite(values[np.arange(values.shape[1])[None, :] < lengths[:, None]]).all()
