"""One observation y = A(x0) + noise: the operator, the data and the noise model, with shared algebra."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import Tensor


@dataclass
class Observation:
    """y (shape ``operator.out_shape``, no batch axis), a (cost-counted) operator and a noise model."""

    operator: Any
    y: Tensor
    noise: Any
    noise_kind: str

    def forward(self, x: Tensor) -> Tensor:
        return self.operator(x)

    def residual(self, x: Tensor) -> Tensor:
        """y - A(x), shape (B, *out_shape)."""
        return self.y.unsqueeze(0).to(x.dtype) - self.operator(x)

    def precision(self, r: Tensor) -> Tensor:
        """Sigma_y^-1 r for Gaussian noise."""
        return self.noise.solve(r)

    def covariance(self, r: Tensor) -> Tensor:
        """Sigma_y r for Gaussian noise."""
        return self.noise.cov_matvec(r)

    def log_likelihood(self, x: Tensor) -> Tensor:
        """log p(y | x0 = x), shape (B,)."""
        mean = self.operator(x)
        return self.noise.log_likelihood(self.y.unsqueeze(0).expand_as(mean).to(mean.dtype), mean)

    @property
    def scalar_std(self) -> float:
        """The noise standard deviation of isotropic Gaussian noise (SVD methods)."""
        if self.noise_kind != "scalar":
            raise ValueError(f"this method needs isotropic Gaussian noise (a scalar noise_std), got {self.noise_kind}")
        return float(self.noise.std.reshape(-1)[0]) if isinstance(self.noise.std, Tensor) else float(self.noise.std)
