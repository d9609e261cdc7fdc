"""Signal-to-noise ratios of an estimate against a reference waveform, in dB, over the last dimension.

SNR = 10 log10(||s||^2 / ||s - s_hat||^2). The scale-invariant SNR projects the estimate on the reference first:
s_t = (<s_hat, s> / ||s||^2) s, SI-SNR = 10 log10(||s_t||^2 / ||s_hat - s_t||^2) (Le Roux et al., "SDR - half-baked
or well done?", 2019, arXiv:1811.02508; no mean removal).
"""

from __future__ import annotations

import torch
from torch import Tensor


def _check(reference: Tensor, estimate: Tensor) -> None:
    if reference.shape != estimate.shape:
        raise ValueError(f"reference has shape {tuple(reference.shape)}, estimate {tuple(estimate.shape)}")
    if bool((reference.pow(2).sum(-1) == 0).any()):
        raise ValueError("reference is all zeros; SNR is undefined")


def snr(reference: Tensor, estimate: Tensor) -> Tensor:
    """10 log10(||s||^2 / ||s - s_hat||^2) per item."""
    _check(reference, estimate)
    return 10.0 * torch.log10(reference.pow(2).sum(-1) / (reference - estimate).pow(2).sum(-1))


def si_snr(reference: Tensor, estimate: Tensor) -> Tensor:
    """Scale-invariant SNR per item (see the module docstring)."""
    _check(reference, estimate)
    scale = (estimate * reference).sum(-1, keepdim=True) / reference.pow(2).sum(-1, keepdim=True)
    target = scale * reference
    return 10.0 * torch.log10(target.pow(2).sum(-1) / (estimate - target).pow(2).sum(-1))
