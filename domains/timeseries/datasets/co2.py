"""Mauna Loa weekly atmospheric CO2, March 1958 - December 2001, from the file statsmodels ships (with real gaps)."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pandas as pd
import xarray as xr


def load_co2() -> xr.Dataset:
    """Weekly CO2 (ppmv) at Mauna Loa as ``co2`` over a weekly ``time`` coordinate (Saturdays); NaN = no data.

    Keeling & Whorf (2004), continuous air samples, Scripps Institution of Oceanography; read offline from
    ``statsmodels/datasets/co2/co2.csv`` (2284 weeks, 59 of them missing).
    """
    table = pd.read_csv(files("statsmodels.datasets.co2") / "co2.csv")
    time = pd.to_datetime(table["date"].astype(str), format="%Y%m%d").to_numpy(dtype="datetime64[ns]")
    co2 = xr.DataArray(
        table["co2"].to_numpy(dtype=np.float64),
        dims="time",
        coords={"time": time},
        attrs={"units": "ppm", "long_name": "atmospheric CO2 mole fraction (weekly mean)"},
    )
    attrs = {
        "title": "Mauna Loa weekly atmospheric CO2",
        "source": "statsmodels.datasets.co2 (co2.csv); Keeling and Whorf 2004, Scripps Institution of Oceanography",
        "frequency": "weekly (W-SAT)",
    }
    return xr.Dataset({"co2": co2}, attrs=attrs)
