"""Linear constraints on a leaf: each is an orthogonal projection P onto a subspace.

Noise inside the subspace is P z with z ~ N(0, I), the standard Gaussian of the subspace. Every constraint
takes the leaf with its batch axis, shape (B, *event), and an optional boolean mask broadcastable to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor


class Constraint(Protocol):
    """An orthogonal projection onto a linear subspace of one leaf."""

    def project(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """P x, with masked-out entries set to zero."""
        ...

    def removed_dims(self, x: Tensor, mask: Tensor | None) -> Tensor:
        """Per-sample number of dimensions the constraint removes, shape (B,)."""
        ...


def _nodes(mask: Tensor | None, x: Tensor, axis: int) -> Tensor:
    """Per-sample count of active nodes along event ``axis`` (float, shape (B,))."""
    if mask is None:
        return torch.full((x.shape[0],), float(x.shape[axis + 1]), dtype=x.dtype, device=x.device)
    m = mask.expand_as(x).to(x.dtype)
    other = [d for d in range(1, x.dim()) if d != axis + 1]
    per_node = m.amax(dim=other) if other else m
    return per_node.sum(dim=1)


@dataclass(frozen=True)
class ZeroCenterOfMass:
    """x_i <- x_i - mean_j x_j over the active nodes along event axis ``node_axis``.

    Removes one node's worth of coordinates (e.g. 3 for points in R^3), which makes noise and likelihoods
    translation invariant. Hoogeboom et al., "Equivariant Diffusion for Molecule Generation in 3D" (2022),
    arXiv:2203.17003.
    """

    node_axis: int = 0

    def project(self, x: Tensor, mask: Tensor | None) -> Tensor:
        axis = self.node_axis + 1
        if mask is None:
            return x - x.mean(dim=axis, keepdim=True)
        m = mask.expand_as(x).to(x.dtype)
        count = m.sum(dim=axis, keepdim=True).clamp_min(1.0)
        centre = (x * m).sum(dim=axis, keepdim=True) / count
        return (x - centre) * m

    def removed_dims(self, x: Tensor, mask: Tensor | None) -> Tensor:
        per_node = x[0].numel() // x.shape[self.node_axis + 1]
        has_nodes = _nodes(mask, x, self.node_axis) > 0
        return has_nodes.to(x.dtype) * per_node


@dataclass(frozen=True)
class SymmetricPairs:
    """x <- (x + x^T) / 2 over two event axes (pairwise features such as edges); optionally a zero diagonal."""

    axes: tuple[int, int] = (0, 1)
    zero_diagonal: bool = True

    def project(self, x: Tensor, mask: Tensor | None) -> Tensor:
        a, b = self.axes[0] + 1, self.axes[1] + 1
        y = 0.5 * (x + x.transpose(a, b))
        if self.zero_diagonal:
            n = x.shape[a]
            shape = [1] * x.dim()
            shape[a], shape[b] = n, n
            off = ~torch.eye(n, dtype=torch.bool, device=x.device).reshape(shape)
            y = y * off.to(x.dtype)
        return y if mask is None else y * mask.expand_as(x).to(x.dtype)

    def removed_dims(self, x: Tensor, mask: Tensor | None) -> Tensor:
        a = self.axes[0]
        n = _nodes(mask, x, a)
        per_pair = x[0].numel() // (x.shape[a + 1] * x.shape[self.axes[1] + 1])
        lower = n * (n - 1) / 2
        return (lower + (n if self.zero_diagonal else 0.0)) * per_pair
