"""Classical reconstruction baselines for imaging and sensing inverse problems."""

from sciddiff.domains.fields.baselines.assimilation import es_mda, variational_map
from sciddiff.domains.fields.baselines.common import operator_norm
from sciddiff.domains.fields.baselines.direct import (
    bicubic,
    bicubic_upsample,
    filtered_back_projection,
    wiener_deconvolution,
    zero_filled,
)
from sciddiff.domains.fields.baselines.interpolation import interpolate_masked, interpolate_sensors
from sciddiff.domains.fields.baselines.thresholded_grf import thresholded_grf_posterior
from sciddiff.domains.fields.baselines.tikhonov import tikhonov_cg
from sciddiff.domains.fields.baselines.tv import divergence, gradient, total_variation, tv_reconstruct

__all__ = [
    "bicubic",
    "bicubic_upsample",
    "divergence",
    "es_mda",
    "filtered_back_projection",
    "gradient",
    "interpolate_masked",
    "interpolate_sensors",
    "operator_norm",
    "thresholded_grf_posterior",
    "tikhonov_cg",
    "total_variation",
    "tv_reconstruct",
    "variational_map",
    "wiener_deconvolution",
    "zero_filled",
]
