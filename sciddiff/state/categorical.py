"""Which entries of a categorical leaf are drawn, and how symmetric (pairwise) leaves stay symmetric.

A categorical leaf draws each *free* entry independently: real entries (mask True) and, for every
:class:`SymmetricPairs` constraint, only the upper triangle of its two axes (strictly above the diagonal when the
diagonal is zero, i.e. fixed). :func:`tie` then copies the upper triangle onto the lower one, so edge types stay
symmetric; entries that are neither free nor mirrored (padding, a fixed diagonal) keep their value.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sciddiff.state.constraints import SymmetricPairs
from sciddiff.state.spec import LeafSpec


def _pairs(leaf: LeafSpec) -> list[SymmetricPairs]:
    return [c for c in leaf.constraints if isinstance(c, SymmetricPairs)]


def _triangle(x: Tensor, c: SymmetricPairs, strict: bool) -> Tensor:
    """Boolean mask of the upper triangle over the constraint's axes, broadcastable against x (B, *event)."""
    a, b = c.axes[0] + 1, c.axes[1] + 1
    n = x.shape[a]
    upper = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1 if strict else 0)
    shape = [1] * x.dim()
    shape[a], shape[b] = n, n
    return upper.reshape(shape)


def free_entries(leaf: LeafSpec, mask: Tensor | None, x: Tensor) -> Tensor:
    """Boolean (B, *event): the entries drawn independently (real and, for symmetric pairs, upper-triangular)."""
    free = torch.ones_like(x, dtype=torch.bool) if mask is None else mask.expand_as(x).clone()
    for c in _pairs(leaf):
        free = free & _triangle(x, c, strict=c.zero_diagonal)
    return free


def tie(x: Tensor, leaf: LeafSpec) -> Tensor:
    """x with the strict lower triangle of every symmetric-pairs constraint copied from the upper one."""
    for c in _pairs(leaf):
        a, b = c.axes[0] + 1, c.axes[1] + 1
        x = torch.where(_triangle(x, c, strict=False), x, x.transpose(a, b))
    return x
