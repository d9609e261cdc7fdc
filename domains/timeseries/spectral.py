"""Spectral whitening of a field on a periodic 1-D grid: the state holds its real Fourier coefficients, each divided
by its training standard deviation.

Kuramoto-Sivashinsky's energy spectrum falls by ~14 orders of magnitude across the dealiased band. A network that
outputs grid values with a relative error e leaves a white floor of energy ~e^2 in every mode, so its samples can
match such a spectrum only down to that floor. In whitened coefficients m_k = (Q x)_k / s_k (Q the orthonormal real
DFT, s_k the data's per-mode std) every mode has unit variance; decoding multiplies the error of mode k by s_k, so
errors follow the data's own spectrum. It preconditions the diffusion state by the data's covariance taken
diagonal in the Fourier basis; on why learned PDE surrogates lose the low-amplitude high frequencies, see Lippe
et al., "PDE-Refiner" (2023, arXiv:2308.05732); frequency-space diffusion: Rissanen et al., "Generative
Modelling With Inverse Heat Dissipation" (2022, arXiv:2206.13397). Coefficients use
:func:`sciddiff.operators.real_fourier` along the grid axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor

from sciddiff.operators import LinearOperator, inverse_real_fourier, real_fourier


def grid_modes(x: Tensor) -> Tensor:
    """Orthonormal real Fourier coefficients Q x of (..., P, L) states over the grid axis P (numpy.fft layout)."""
    return real_fourier(x.transpose(-1, -2), 1).transpose(-1, -2)


def grid_values(m: Tensor) -> Tensor:
    """Q^T m: the inverse of :func:`grid_modes`."""
    return inverse_real_fourier(m.transpose(-1, -2), 1).transpose(-1, -2)


@dataclass
class SpectralModes:
    """Whitened modes m = diag(1/s) Q x of (..., P, L) states x (channels = the P grid points), and back."""

    std: Tensor  # (P,) float64

    @classmethod
    def fit(cls, states: Tensor) -> SpectralModes:
        """Per-mode std of training states (N, P, L) (all times pooled), floored at 1e-12 of the largest."""
        modes = grid_modes(states.double())
        std = modes.transpose(0, 1).reshape(states.shape[-2], -1).std(dim=1)
        return cls(std.clamp_min(1e-12 * float(std.max())))

    def analyse(self, x: Tensor) -> Tensor:
        return grid_modes(x) / self.std.to(x)[:, None]

    def synthesise(self, m: Tensor) -> Tensor:
        return grid_values(m * self.std.to(m)[:, None])

    def state_dict(self) -> dict[str, Any]:
        return {"std": self.std}


class ModeSynthesis(LinearOperator):
    """x (P, L) whitened modes -> scale * Q^T (s * x): the spectral state decoded to centred physical values."""

    def __init__(self, modes: SpectralModes, scale: Tensor, length: int) -> None:
        super().__init__((len(modes.std), length), (len(modes.std), length))
        self.modes, self.scale = modes, scale.reshape(-1, 1).double()

    def forward(self, x: Tensor) -> Tensor:
        return self.modes.synthesise(x) * self.scale.to(x)

    def adjoint(self, y: Tensor) -> Tensor:  # diag(s) Q diag(scale) y
        return grid_modes(y * self.scale.to(y)) * self.modes.std.to(y)[:, None]

    def __repr__(self) -> str:
        return f"ModeSynthesis({len(self.modes.std)} modes)"
