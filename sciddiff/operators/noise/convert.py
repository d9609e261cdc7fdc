"""Turn a user's noise specification (a std, a tensor of stds or a model) into a validated noise model."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from sciddiff.operators.noise.base import NoiseModel
from sciddiff.operators.noise.diagonal import GaussianNoise


def as_noise_model(noise: NoiseModel | Tensor | float, out_shape: Sequence[int]) -> NoiseModel:
    """A noise model for observations of shape ``out_shape`` (no batch axis).

    A number or tensor is a Gaussian standard deviation (0 = noiseless), validated: NaN, infinite or negative
    values and tensors not broadcastable to ``out_shape`` raise ValueError. A model is checked against the shape.
    """
    out_shape = tuple(int(s) for s in out_shape)
    if isinstance(noise, NoiseModel):
        noise.validate(out_shape)
        return noise
    if noise is None or isinstance(noise, bool | str):
        raise ValueError(f"noise must be a standard deviation (number or tensor) or a NoiseModel, got {noise!r}")
    std = noise if isinstance(noise, Tensor) else torch.as_tensor(noise, dtype=torch.float64)
    if not std.is_floating_point():
        std = std.to(torch.float64)
    bad = torch.isnan(std) | torch.isinf(std) | (std < 0)
    if bool(bad.any()):
        value = std.flatten()[bad.flatten()][0].item()
        where = "" if std.dim() == 0 else f" at index {tuple(torch.nonzero(bad)[0].tolist())}"
        raise ValueError(f"noise std must be finite and >= 0, got {value}{where}")
    try:
        ok = torch.broadcast_shapes(std.shape, out_shape) == torch.Size(out_shape)
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(
            f"noise std of shape {tuple(std.shape)} is not broadcastable to the observation shape {out_shape}"
        )
    return GaussianNoise(std, shape=out_shape)


def noise_kind(noise: NoiseModel) -> str:
    """The family of a noise model: "scalar", "diagonal", "lowrank", "full", "poisson" (or its own ``kind``)."""
    if not isinstance(noise, NoiseModel):
        raise ValueError(f"noise_kind needs a NoiseModel, got {type(noise).__name__}; use as_noise_model first")
    return noise.kind
