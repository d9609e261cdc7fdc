"""Phase retrieval from an STFT magnitude by the fast Griffin-Lim algorithm.

With P_A(c) = A exp(i angle c) (impose the target magnitude A) and P_C(c) = STFT(iSTFT(c)) (project onto
consistent spectrograms), each iteration is c_n = P_C(P_A(t_{n-1})), t_n = c_n + alpha (c_n - c_{n-1}).
alpha = 0 is Griffin & Lim, "Signal estimation from modified short-time Fourier transform" (1984); alpha > 0 is
Perraudin, Balazs & Sondergaard, "A fast Griffin-Lim algorithm" (2013), which suggests alpha = 0.99.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from sciddiff.domains.audio.dsp.stft import istft, stft
from torch import Tensor


@dataclass(frozen=True)
class GriffinLimResult:
    """The last iterate x_N and the spectral convergence || |STFT x_n| - A ||_F / ||A||_F of each x_n.

    ``spectral_convergence`` has shape (n_iter, ...) over the batch dimensions; its last row belongs to ``waveform``.
    """

    waveform: Tensor
    spectral_convergence: Tensor


def _unit_phase(spec: Tensor) -> Tensor:
    mag = spec.abs()
    return torch.where(mag > 0, spec / torch.clamp(mag, min=torch.finfo(mag.dtype).tiny), torch.ones_like(spec))


def griffin_lim(
    magnitude: Tensor,
    n_fft: int,
    hop_length: int,
    *,
    n_iter: int = 100,
    momentum: float = 0.99,
    length: int | None = None,
    init: str | Tensor = "random",
    generator: int | torch.Generator | None = 0,
) -> GriffinLimResult:
    """Waveform whose STFT magnitude approximates ``magnitude`` (..., n_fft // 2 + 1, frames).

    ``init="random"`` starts from uniform random phases drawn from ``generator`` (a seed or a torch.Generator);
    ``init="zeros"`` starts from zero phase; a real tensor shaped like ``magnitude`` gives the initial phases
    (radians), e.g. those of an observed STFT.
    """
    if n_iter < 1:
        raise ValueError(f"n_iter must be >= 1, got {n_iter}")
    if not 0.0 <= momentum < 2.0:
        raise ValueError(f"momentum must be in [0, 2), got {momentum}")
    if bool((magnitude < 0).any()) or not bool(torch.isfinite(magnitude).all()):
        raise ValueError("magnitude must be finite and non-negative")
    if isinstance(init, Tensor):
        if init.shape != magnitude.shape or init.is_complex():
            raise ValueError(
                f"initial phases must be real and shaped {tuple(magnitude.shape)}, got {tuple(init.shape)}"
            )
        angle = init.to(magnitude)
    elif init == "random":
        gen = (
            generator if isinstance(generator, torch.Generator) else torch.Generator().manual_seed(int(generator or 0))
        )
        angle = 2.0 * math.pi * torch.rand(magnitude.shape, generator=gen, dtype=torch.float64).to(magnitude)
    elif init == "zeros":
        angle = torch.zeros_like(magnitude)
    else:
        raise ValueError(f"unknown init {init!r}; choose 'random' or 'zeros'")
    target_norm = torch.linalg.vector_norm(magnitude, dim=(-2, -1))
    if length is None:
        length = hop_length * (magnitude.shape[-1] - 1)
    history = []
    accelerated = previous = torch.polar(magnitude, angle)
    for _ in range(n_iter):
        wave = istft(magnitude * _unit_phase(accelerated), n_fft, hop_length, length=length)
        current = stft(wave, n_fft, hop_length)
        history.append(torch.linalg.vector_norm(current.abs() - magnitude, dim=(-2, -1)) / target_norm)
        accelerated = current + momentum * (current - previous)
        previous = current
    return GriffinLimResult(wave, torch.stack(history))
