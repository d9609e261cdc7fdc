"""Spectral distances between a reference and an estimated spectrogram (..., frequency, time).

Log-spectral distance on power spectra P in dB, per frame the RMS over frequency, then the mean over frames:
LSD = mean_t sqrt(mean_f (10 log10 P_ref - 10 log10 P_est)^2), with P floored at ``floor`` (default 1e-10,
i.e. -100 dB) and optional boolean masks choosing the frames (a gap) and bins (a band) that are scored; see Gray &
Markel, "Distance measures for speech processing" (1976). Spectral convergence is || |X_ref| - |X_est| ||_F /
|| X_ref ||_F on magnitudes (Sturmel & Daudet, "Signal reconstruction from STFT magnitude: a state of the art",
2011).
"""

from __future__ import annotations

import torch
from sciddiff.domains.audio.dsp import stft
from torch import Tensor


def _mask(mask: Tensor | None, size: int, name: str, device: torch.device) -> Tensor:
    if mask is None:
        return torch.ones(size, dtype=torch.bool, device=device)
    mask = torch.as_tensor(mask, device=device)
    if mask.dtype != torch.bool or mask.shape != (size,):
        raise ValueError(f"{name} must be a boolean tensor of shape ({size},), got {mask.dtype} {tuple(mask.shape)}")
    if not bool(mask.any()):
        raise ValueError(f"{name} selects nothing")
    return mask


def log_spectral_distance(
    reference: Tensor,
    estimate: Tensor,
    *,
    power: bool = True,
    time_mask: Tensor | None = None,
    freq_mask: Tensor | None = None,
    floor: float = 1e-10,
) -> Tensor:
    """LSD in dB per item over leading dimensions; ``power=False`` takes magnitudes and squares them."""
    if reference.shape != estimate.shape:
        raise ValueError(f"reference has shape {tuple(reference.shape)}, estimate {tuple(estimate.shape)}")
    if bool((reference < 0).any()) or bool((estimate < 0).any()):
        raise ValueError("spectrograms must be non-negative (power or magnitude)")
    p_ref, p_est = (reference, estimate) if power else (reference**2, estimate**2)
    diff = 10.0 * (torch.log10(p_ref.clamp(min=floor)) - torch.log10(p_est.clamp(min=floor)))
    t_mask = _mask(time_mask, diff.shape[-1], "time_mask", diff.device)
    f_mask = _mask(freq_mask, diff.shape[-2], "freq_mask", diff.device)
    per_frame = diff[..., f_mask, :][..., t_mask].pow(2).mean(dim=-2).sqrt()
    return per_frame.mean(dim=-1)


def spectral_convergence(reference: Tensor, estimate: Tensor) -> Tensor:
    """|| |ref| - |est| ||_F / || ref ||_F over the last two dimensions (magnitudes; complex input allowed)."""
    if reference.shape != estimate.shape:
        raise ValueError(f"reference has shape {tuple(reference.shape)}, estimate {tuple(estimate.shape)}")
    ref, est = reference.abs(), estimate.abs()
    return torch.linalg.vector_norm(ref - est, dim=(-2, -1)) / torch.linalg.vector_norm(ref, dim=(-2, -1))


def waveform_lsd(
    reference: Tensor,
    estimate: Tensor,
    n_fft: int,
    hop_length: int,
    *,
    time_mask: Tensor | None = None,
    freq_mask: Tensor | None = None,
    floor: float = 1e-10,
) -> Tensor:
    """LSD between the STFT power spectra of two waveforms (..., T)."""
    return log_spectral_distance(
        stft(reference, n_fft, hop_length).abs() ** 2,
        stft(estimate, n_fft, hop_length).abs() ** 2,
        time_mask=time_mask,
        freq_mask=freq_mask,
        floor=floor,
    )
