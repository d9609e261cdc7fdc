"""Spectral whitening of a field on a periodic 1-D grid: the state holds its real Fourier coefficients, each divided
by its training standard deviation.

Kuramoto-Sivashinsky's energy spectrum falls by ~14 orders of magnitude across the dealiased band. A network that
outputs grid values with a relative error e leaves a white floor of energy ~e^2 in every mode, so its samples can
match such a spectrum only down to that floor. In whitened coefficients m_k = (Q x)_k / s_k (Q the orthonormal real
DFT, s_k the data's per-mode std) every mode has unit variance; decoding multiplies the error of mode k by s_k, so
errors follow the data's own spectrum. This is the data-covariance preconditioning of the diffusion state (a
diagonal covariance in the Fourier basis), as in Rissanen et al., "Generative Modelling With Inverse Heat
Dissipation" (2022, arXiv:2206.13397) and the spectral analyses of Lippe et al., "PDE-Refiner" (2023,
arXiv:2308.05732).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from sciddiff.operators import LinearOperator


def real_fourier_basis(n: int) -> Tensor:
    """(n, n) orthonormal real DFT Q (rows: constant, cos/sin pairs for k = 1..(n-1)//2, then (-1)^p for even n),
    so Q Q^T = I; row order is by wavenumber."""
    p = np.arange(n)
    rows = [np.full(n, 1 / np.sqrt(n))]
    for k in range(1, (n - 1) // 2 + 1):
        rows += [np.sqrt(2 / n) * np.cos(2 * np.pi * k * p / n), np.sqrt(2 / n) * np.sin(2 * np.pi * k * p / n)]
    if n % 2 == 0:
        rows.append((-1.0) ** p / np.sqrt(n))
    return torch.as_tensor(np.stack(rows), dtype=torch.float64)


@dataclass
class SpectralModes:
    """Whitened modes m = diag(1/s) Q x of (..., P, L) states x (channels = the P grid points), and back."""

    std: Tensor  # (P,) float64

    @property
    def basis(self) -> Tensor:
        return real_fourier_basis(len(self.std))

    @classmethod
    def fit(cls, states: Tensor) -> SpectralModes:
        """Per-mode std of training states (N, P, L) (all times pooled), floored at 1e-12 of the largest."""
        modes = torch.einsum("kp,npl->nkl", real_fourier_basis(states.shape[-2]), states.double())
        std = modes.transpose(0, 1).reshape(states.shape[-2], -1).std(dim=1)
        return cls(std.clamp_min(1e-12 * float(std.max())))

    def analyse(self, x: Tensor) -> Tensor:
        return torch.einsum("kp,...pl->...kl", self.basis.to(x), x) / self.std.to(x)[:, None]

    def synthesise(self, m: Tensor) -> Tensor:
        return torch.einsum("kp,...kl->...pl", self.basis.to(m), m * self.std.to(m)[:, None])

    def state_dict(self) -> dict[str, Any]:
        return {"std": self.std}


class ModeSynthesis(LinearOperator):
    """x (P, L) whitened modes -> scale * Q^T (s * x): the spectral state decoded to centred physical values."""

    def __init__(self, modes: SpectralModes, scale: Tensor, length: int) -> None:
        super().__init__((len(modes.std), length), (len(modes.std), length))
        self.modes, self.scale = modes, scale.reshape(-1, 1).double()

    def forward(self, x: Tensor) -> Tensor:
        return self.modes.synthesise(x) * self.scale.to(x)

    def adjoint(self, y: Tensor) -> Tensor:
        return self.modes.analyse(y * self.scale.to(y)) * self.modes.std.to(y)[:, None] ** 2

    def __repr__(self) -> str:
        return f"ModeSynthesis({len(self.modes.std)} modes)"
