"""Masks shared by the graph networks."""

from __future__ import annotations

import torch
from torch import Tensor


def check_node_mask(node_mask: Tensor, batch: int, nodes: int) -> Tensor:
    """The node mask as bool (B, N), after checking its shape."""
    if node_mask.shape != (batch, nodes):
        raise ValueError(f"node_mask has shape {tuple(node_mask.shape)}; expected ({batch}, {nodes})")
    return node_mask.bool()


def pair_mask(node_mask: Tensor) -> Tensor:
    """(B, N, N) True where both nodes are real and distinct."""
    n = node_mask.shape[1]
    eye = torch.eye(n, dtype=torch.bool, device=node_mask.device)
    return node_mask[:, :, None] & node_mask[:, None, :] & ~eye


def masked_mean(x: Tensor, mask: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Mean of x over ``dims`` where ``mask`` (broadcast to x without its last axis) is True; 0 if none."""
    m = mask.to(x.dtype).unsqueeze(-1)
    return (x * m).sum(dims) / m.sum(dims).clamp_min(1.0)
