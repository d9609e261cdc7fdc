"""Domain backbones for series, named by import path (e.g. ``sciddiff.domains.timeseries.nets:SeriesNet``)."""

from sciddiff.domains.timeseries.nets.grid_unet import GridUNet
from sciddiff.domains.timeseries.nets.series_net import SeriesLayer, SeriesNet

__all__ = ["GridUNet", "SeriesLayer", "SeriesNet"]
