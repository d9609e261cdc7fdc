"""E(n)-equivariant graph network for 3-D coordinates and node features (Satorras, Hoogeboom & Welling,
"E(n) Equivariant Graph Neural Networks", 2021, arXiv:2102.09844), as the denoiser of EDM (Hoogeboom et al.,
"Equivariant Diffusion for Molecule Generation in 3D", 2022, arXiv:2203.17003), on dense masked batches.

Layer l, over real pairs i != j (fully connected):
  m_ij = a_ij phi_e(h_i, h_j, |x_i - x_j|^2, |x_i^0 - x_j^0|^2),   a_ij = sigmoid(phi_a(m_ij)) (optional),
  h_i <- h_i + phi_h(h_i, sum_j m_ij / Z),
  x_i <- x_i + sum_j (x_i - x_j) / (|x_i - x_j| + 1) * phi_x(...) / Z   (phi_x bounded by tanh * range).
Coordinates enter only through differences and distances, so the coordinate output rotates and reflects with
the input and ignores translations, and the feature output is E(3)-invariant; padding never reaches real
nodes. The coordinate output is x^L - x^0 with its centre of mass over the real nodes removed.
"""

from __future__ import annotations

import torch
from sciddiff.domains.graphs.nets.conditioning import NoiseConditionEmbedding
from sciddiff.domains.graphs.nets.masks import check_node_mask, pair_mask
from torch import Tensor, nn


class PairInput(nn.Module):
    """The first linear layer of a pair MLP, W [h_i, h_j, d2_ij, d0_ij] + b, computed as
    (W_i h_i + b) + W_j h_j + w_2 d2_ij + w_0 d0_ij: the node terms are formed once per node and broadcast, so the
    per-pair cost is a few additions instead of a (2H + 2) x H product. ``out`` sets how many such layers
    (each ``hidden`` wide) share the pass; their pre-activations are concatenated."""

    def __init__(self, hidden: int, out: int = 1) -> None:
        super().__init__()
        self.own = nn.Linear(hidden, out * hidden)
        self.other = nn.Linear(hidden, out * hidden, bias=False)
        self.dist = nn.Linear(2, out * hidden, bias=False)

    def forward(self, h: Tensor, d2: Tensor, d0: Tensor) -> Tensor:
        return self.dist(torch.cat([d2, d0], -1)) + self.own(h)[:, :, None] + self.other(h)[:, None]


class EquivariantLayer(nn.Module):
    """One EGNN layer updating node features h (B, N, H) and coordinates x (B, N, 3)."""

    def __init__(
        self, hidden: int, attention: bool = True, tanh: bool = True, coords_range: float = 15.0, norm: float = 1.0
    ) -> None:
        super().__init__()
        self.hidden = hidden
        self.pair = PairInput(hidden, out=2)
        self.edge = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.att = nn.Sequential(nn.Linear(hidden, 1), nn.Sigmoid()) if attention else None
        self.node = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        last = nn.Linear(hidden, 1, bias=False)
        nn.init.xavier_uniform_(last.weight, gain=0.001)
        self.coord = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), last)
        self.tanh, self.coords_range, self.norm = tanh, coords_range, norm

    def forward(self, h: Tensor, x: Tensor, d0: Tensor, node_mask: Tensor, pairs: Tensor) -> tuple[Tensor, Tensor]:
        diff = x[:, :, None, :] - x[:, None, :, :]
        d2 = (diff**2).sum(-1, keepdim=True)
        pre_edge, pre_coord = self.pair(h, d2, d0).split(self.hidden, -1)
        pm = pairs[..., None].to(h.dtype)
        m = self.edge(pre_edge)
        weight = pm if self.att is None else self.att(m) * pm
        agg = (m * weight).sum(2) / self.norm
        nm = node_mask[..., None].to(h.dtype)
        h = (h + self.node(torch.cat([h, agg], -1))) * nm
        phi = self.coord(pre_coord)
        if self.tanh:
            phi = torch.tanh(phi) * self.coords_range
        step = diff / (torch.sqrt(d2 + 1e-8) + 1.0) * phi * pm
        x = (x + step.sum(2) / self.norm) * nm
        return h, x


class EGNN(nn.Module):
    """Denoiser backbone: (pos (B, N, 3), h (B, N, F), c (B,), node_mask (B, N), cond (B, k) | None)
    -> (coordinate update (B, N, 3) with zero centre of mass over real nodes, features (B, N, F_out)).

    Padded entries of both outputs are zero. ``cond`` is replaced by a learned null embedding when None, and
    with probability ``p_uncond`` per sample in training mode (classifier-free guidance).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden: int = 128,
        n_layers: int = 4,
        cond_dim: int = 0,
        p_uncond: float = 0.0,
        attention: bool = True,
        tanh: bool = True,
        coords_range: float = 15.0,
        norm: float = 1.0,
    ) -> None:
        super().__init__()
        self.embed = nn.Linear(in_features, hidden)
        self.noise = NoiseConditionEmbedding(hidden, cond_dim, p_uncond)
        self.layers = nn.ModuleList(
            EquivariantLayer(hidden, attention, tanh, coords_range / n_layers, norm) for _ in range(n_layers)
        )
        self.out = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, out_features))

    def forward(
        self,
        pos: Tensor,
        h: Tensor,
        c: Tensor,
        node_mask: Tensor,
        cond: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        b, n = pos.shape[:2]
        if pos.shape != (b, n, 3) or h.shape[:2] != (b, n):
            raise ValueError(f"pos must be (B, N, 3) and h (B, N, F); got {tuple(pos.shape)} and {tuple(h.shape)}")
        mask = check_node_mask(node_mask, b, n)
        nm = mask[..., None]
        pos = torch.where(nm, pos, torch.zeros((), dtype=pos.dtype, device=pos.device))
        h = torch.where(nm, h, torch.zeros((), dtype=h.dtype, device=h.device))
        pairs = pair_mask(mask)
        z = (self.embed(h) + self.noise(c, cond, generator)[:, None]) * nm.to(h.dtype)
        d0 = ((pos[:, :, None] - pos[:, None]) ** 2).sum(-1, keepdim=True)
        x = pos
        for layer in self.layers:
            z, x = layer(z, x, d0, mask, pairs)
        w = nm.to(pos.dtype)
        dpos = (x - pos) * w
        centre = dpos.sum(1, keepdim=True) / w.sum(1, keepdim=True).clamp_min(1.0)
        return (dpos - centre) * w, self.out(z) * w
