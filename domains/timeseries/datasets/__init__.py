"""Offline real series shipped inside PyPI packages, and time-ordered splits and windows for any xarray series."""

from sciddiff.domains.timeseries.datasets.checks import check_series
from sciddiff.domains.timeseries.datasets.co2 import load_co2
from sciddiff.domains.timeseries.datasets.splits import TimeSplit, split_by_time
from sciddiff.domains.timeseries.datasets.sunspots import load_sunspots_monthly
from sciddiff.domains.timeseries.datasets.uea import load_basic_motions, load_japanese_vowels
from sciddiff.domains.timeseries.datasets.windows import extract_windows, forecast_windows

__all__ = [
    "TimeSplit",
    "check_series",
    "extract_windows",
    "forecast_windows",
    "load_basic_motions",
    "load_co2",
    "load_japanese_vowels",
    "load_sunspots_monthly",
    "split_by_time",
]
