"""Dense graph transformer with edge features in attention, in the style of DiGress (Vignac et al.,
"DiGress: Discrete Denoising diffusion for graph generation", 2022, arXiv:2209.14734).

Per layer, with node states X (B, N, dx), edge states E (B, N, N, de) and a global state y (B, dy):
  S_ij = (Q_i * K_j) / sqrt(d_head) * (1 + W_m E_ij) + W_a E_ij       (per channel, per head),
  E_ij <- LN(E_ij + W_e FiLM_y(S_ij)),  X_i <- LN(X_i + W_x FiLM_y(sum_j softmax_j(S_ij) V_j)),
  y <- LN(y + MLP(y, mean_i X_i, mean_ij E_ij)),  then a feed-forward block on each of X, E, y.
Softmaxes and means run over real nodes only, so padding never reaches real entries; every operation is
applied per node or per pair, so the network is permutation equivariant. The edge logits are symmetrised,
(L + L^T) / 2, and zero on the diagonal and on padding.
"""

from __future__ import annotations

import math

import torch
from sciddiff.domains.graphs.nets.conditioning import NoiseConditionEmbedding
from sciddiff.domains.graphs.nets.masks import check_node_mask, masked_mean, pair_mask
from torch import Tensor, nn


def _mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.SiLU(), nn.Linear(d_hidden, d_out))


class NodeEdgeAttention(nn.Module):
    """Attention over nodes whose scores are modulated by edge states, returning new node and edge states."""

    def __init__(self, dx: int, de: int, dy: int, n_head: int) -> None:
        super().__init__()
        if dx % n_head:
            raise ValueError(f"node width {dx} must be divisible by the number of heads {n_head}")
        self.n_head, self.d_head = n_head, dx // n_head
        self.q, self.k, self.v = nn.Linear(dx, dx), nn.Linear(dx, dx), nn.Linear(dx, dx)
        self.e_mul, self.e_add = nn.Linear(de, dx), nn.Linear(de, dx)
        self.y_e = nn.Linear(dy, 2 * dx)
        self.y_x = nn.Linear(dy, 2 * dx)
        self.out_e, self.out_x = nn.Linear(dx, de), nn.Linear(dx, dx)

    def forward(self, x: Tensor, e: Tensor, y: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        b, n, dx = x.shape
        heads = (b, n, self.n_head, self.d_head)
        q, k, v = self.q(x).view(heads), self.k(x).view(heads), self.v(x).view(heads)
        pair_heads = (b, n, n, self.n_head, self.d_head)
        s = q[:, :, None] * k[:, None] / math.sqrt(self.d_head)
        s = s * (1 + self.e_mul(e).view(pair_heads)) + self.e_add(e).view(pair_heads)
        ye_mul, ye_add = self.y_e(y)[:, None, None].chunk(2, -1)
        new_e = self.out_e(ye_add + (1 + ye_mul) * s.reshape(b, n, n, dx))
        keys = mask[:, None, :, None, None]
        scores = s.masked_fill(~keys, torch.finfo(s.dtype).min)
        attn = torch.softmax(scores, dim=2)
        wv = (attn * v[:, None]).sum(2).reshape(b, n, dx)
        yx_mul, yx_add = self.y_x(y)[:, None].chunk(2, -1)
        return self.out_x(yx_add + (1 + yx_mul) * wv), new_e


class GraphTransformerLayer(nn.Module):
    def __init__(self, dx: int, de: int, dy: int, n_head: int) -> None:
        super().__init__()
        self.attn = NodeEdgeAttention(dx, de, dy, n_head)
        self.y_update = _mlp(dy + dx + de, dy, dy)
        self.ln_x1, self.ln_e1, self.ln_y1 = nn.LayerNorm(dx), nn.LayerNorm(de), nn.LayerNorm(dy)
        self.ff_x, self.ff_e, self.ff_y = _mlp(dx, 2 * dx, dx), _mlp(de, 2 * de, de), _mlp(dy, 2 * dy, dy)
        self.ln_x2, self.ln_e2, self.ln_y2 = nn.LayerNorm(dx), nn.LayerNorm(de), nn.LayerNorm(dy)

    def forward(self, x: Tensor, e: Tensor, y: Tensor, mask: Tensor, pairs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        new_x, new_e = self.attn(x, e, y, mask)
        pooled = torch.cat([y, masked_mean(x, mask, (1,)), masked_mean(e, pairs, (1, 2))], -1)
        x = self.ln_x1(x + new_x)
        e = self.ln_e1(e + new_e)
        y = self.ln_y1(y + self.y_update(pooled))
        nm, pm = mask[..., None].to(x.dtype), pairs[..., None].to(e.dtype)
        x = self.ln_x2(x + self.ff_x(x)) * nm
        e = self.ln_e2(e + self.ff_e(e)) * pm
        y = self.ln_y2(y + self.ff_y(y))
        return x, e, y


class GraphTransformer(nn.Module):
    """Denoiser backbone: (x (B, N, Fx), e (B, N, N, Fe), c (B,), node_mask (B, N), cond (B, k) | None)
    -> (node logits (B, N, Kx), symmetric edge logits (B, N, N, Ke)), zero on padding and on the diagonal.

    ``cond`` is replaced by a learned null embedding when None, and with probability ``p_uncond`` per sample in
    training mode (classifier-free guidance).
    """

    def __init__(
        self,
        node_in: int,
        edge_in: int,
        node_out: int,
        edge_out: int,
        hidden_x: int = 128,
        hidden_e: int = 64,
        hidden_y: int = 64,
        n_layers: int = 4,
        n_head: int = 8,
        cond_dim: int = 0,
        p_uncond: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_x, self.in_e = _mlp(node_in, hidden_x, hidden_x), _mlp(edge_in, hidden_e, hidden_e)
        self.noise = NoiseConditionEmbedding(hidden_y, cond_dim, p_uncond)
        self.layers = nn.ModuleList(
            GraphTransformerLayer(hidden_x, hidden_e, hidden_y, n_head) for _ in range(n_layers)
        )
        self.out_x, self.out_e = _mlp(hidden_x, hidden_x, node_out), _mlp(hidden_e, hidden_e, edge_out)

    def forward(
        self,
        x: Tensor,
        e: Tensor,
        c: Tensor,
        node_mask: Tensor,
        cond: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        b, n = x.shape[:2]
        if e.shape[:3] != (b, n, n):
            raise ValueError(f"e must be (B, N, N, Fe) for x of shape {tuple(x.shape)}; got {tuple(e.shape)}")
        mask = check_node_mask(node_mask, b, n)
        pairs = pair_mask(mask)
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        x = torch.where(mask[..., None], x, zero)
        e = torch.where(pairs[..., None], e, zero)
        nm, pm = mask[..., None].to(x.dtype), pairs[..., None].to(x.dtype)
        hx = self.in_x(x) * nm
        he = self.in_e(0.5 * (e + e.transpose(1, 2))) * pm
        y = self.noise(c, cond, generator)
        for layer in self.layers:
            hx, he, y = layer(hx, he, y, mask, pairs)
        logits_e = self.out_e(he)
        return self.out_x(hx) * nm, 0.5 * (logits_e + logits_e.transpose(1, 2)) * pm
