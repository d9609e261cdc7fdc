"""Monthly mean sunspot numbers, January 1749 - June 2009, parsed from the raw file statsmodels ships."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import xarray as xr

MONTHLY_FILE = "src/sunspots_monthly.dat"


def load_sunspots_monthly() -> xr.Dataset:
    """Monthly mean sunspot number as ``sunspots`` over ``time`` (first day of each month), 3126 months.

    statsmodels' loader returns yearly values; this reads ``statsmodels/datasets/sunspots/src/sunspots_monthly.dat``
    (NOAA NGDC), a table of one row per year with twelve monthly columns. Its notes: February 1824 had no
    observations and was interpolated from January and March; values after December 2008 are preliminary.
    """
    path = files("statsmodels.datasets.sunspots") / MONTHLY_FILE
    values: list[float] = []
    years: list[int] = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if not fields or not fields[0].isdigit() or len(fields[0]) != 4:
            continue  # title, header, ruler, blank and note lines
        if len(fields) > 13:
            raise ValueError(f"{path}: year {fields[0]} has {len(fields) - 1} monthly values, expected at most 12")
        year = int(fields[0])
        if years and year != years[-1] + 1:
            raise ValueError(f"{path}: year {year} follows {years[-1]}; the monthly table must be contiguous")
        if years and len(values) != 12 * len(years):
            raise ValueError(f"{path}: year {years[-1]} is incomplete but is followed by {year}")
        years.append(year)
        values.extend(float(v) for v in fields[1:])
    start = np.datetime64(f"{years[0]}-01", "M")
    time = (start + np.arange(len(values))).astype("datetime64[ns]")
    sunspots = xr.DataArray(
        np.array(values),
        dims="time",
        coords={"time": time},
        attrs={"units": "1", "long_name": "monthly mean sunspot number"},
    )
    attrs = {
        "title": "Monthly mean sunspot numbers",
        "source": f"statsmodels.datasets.sunspots ({MONTHLY_FILE}); NOAA National Geophysical Data Center",
        "notes": "February 1824 interpolated from January and March; values after December 2008 preliminary",
        "frequency": "monthly",
    }
    return xr.Dataset({"sunspots": sunspots}, attrs=attrs)
