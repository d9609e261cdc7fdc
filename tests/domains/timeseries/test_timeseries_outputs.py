"""Output datasets: summary variables over the sample dimension, and refusal of names the summaries would
overwrite."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from sciddiff.domains.timeseries.outputs import summary_dataset


def samples(names: tuple[str, ...]) -> xr.Dataset:
    rng = np.random.default_rng(0)
    return xr.Dataset({v: (("sample", "time"), rng.normal(size=(9, 4))) for v in names}, coords={"time": np.arange(4)})


def test_summaries_are_the_sample_mean_std_and_quantiles() -> None:
    ds = samples(("a", "b"))
    out = summary_dataset(ds, quantiles=(0.5,))
    np.testing.assert_allclose(out["a_mean"].values, ds["a"].values.mean(0))
    np.testing.assert_allclose(out["b_std"].values, ds["b"].values.std(0, ddof=1))
    np.testing.assert_allclose(out["a_quantile"].sel(quantile=0.5).values, np.median(ds["a"].values, axis=0))
    np.testing.assert_array_equal(out["a"].values, ds["a"].values)  # the samples themselves are kept


@pytest.mark.parametrize(("names", "clash"), [(("a", "a_mean"), "a_mean"), (("x_quantile", "x"), "x_quantile")])
def test_names_the_summaries_would_overwrite_are_refused(names: tuple[str, ...], clash: str) -> None:
    with pytest.raises(ValueError, match=rf"output names \['{clash}'\] would overwrite variables or coordinates"):
        summary_dataset(samples(names))
    coord = samples(("a",)).assign_coords(a_std=("time", np.zeros(4)))  # a coordinate is protected too
    with pytest.raises(ValueError, match=r"output names \['a_std'\]"):
        summary_dataset(coord)
