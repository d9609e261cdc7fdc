"""Exact quadrature weights for exponential integrators in the half log-SNR lam = log(alpha/sigma).

Along the probability-flow ODE, x_{t} = (sigma_t/sigma_s) x_s + alpha_t int_0^h e^{u-h} D(lam_s + u) du with
h = lam_t - lam_s (Lu et al., "DPM-Solver++", 2022, arXiv:2211.01095). Replacing D by its Lagrange
interpolant through points at offsets q_j h gives x_t = (sigma_t/sigma_s) x_s + alpha_t sum_j w_j D_j with
w = V^-T m, V_jk = q_j^k and moments m_k = h int_0^1 e^{h(q-1)} q^k dq.
"""

from __future__ import annotations

import torch
from torch import Tensor


def moments(h: Tensor, n: int) -> Tensor:
    """m_k(h) = h int_0^1 e^{h(q-1)} q^k dq for k < n, shape (*h.shape, n), accurate for all h > 0.

    Small h uses the series h sum_j (-h)^j k! / (j+k+1)!; large h the recurrence m_k = 1 - (k/h) m_{k-1}.
    """
    small = h <= 2.0
    hs = torch.where(small, h, torch.zeros_like(h))
    hl = torch.where(small, torch.full_like(h, 2.0), h)
    out = []
    rec = -torch.expm1(-hl)
    for k in range(n):
        if k > 0:
            rec = 1.0 - (k / hl) * rec
        # series: term_j = (-h)^j k! / (j+k+1)!
        term = hs / (k + 1)
        acc = term
        for j in range(1, 40):
            term = term * (-hs) / (j + k + 1)
            acc = acc + term
        out.append(torch.where(small, acc, rec))
    return torch.stack(out, dim=-1)


def weights(nodes: Tensor, h: Tensor) -> Tensor:
    """Quadrature weights w_j for interpolation nodes q_j (offsets in units of h), shape (*h.shape, n).

    ``nodes`` has shape (*h.shape, n); nodes must be distinct.
    """
    n = nodes.shape[-1]
    vander = nodes.unsqueeze(-1) ** torch.arange(n, dtype=nodes.dtype, device=nodes.device)  # (..., n, n)
    return torch.linalg.solve(vander.transpose(-1, -2), moments(h, n).unsqueeze(-1)).squeeze(-1)


def adams_weights(lam: Tensor, order: int, implicit: bool) -> list[Tensor]:
    """Weights for every step of an exponential Adams method on the grid ``lam`` (N+1, B|1).

    Step i uses the last k_i = min(i + 1, order) grid points (offsets (lam_{i-j} - lam_i)/h_i) and, when
    ``implicit``, the end point of the step too (offset 1, listed first). Returns N tensors (B|1, k_i [+1]);
    steps sharing a size are solved in one batch.
    """
    h = lam[1:] - lam[:-1]
    n = h.shape[0]
    out: list[Tensor] = [h[0]] * n
    for k in range(1, order + 1):
        idx = [i for i in range(n) if min(i + 1, order) == k]
        if not idx:
            continue
        ii = torch.tensor(idx, device=lam.device)
        nodes = torch.stack([(lam[ii - j] - lam[ii]) / h[ii] for j in range(k)], dim=-1)
        if implicit:
            nodes = torch.cat([torch.ones_like(nodes[..., :1]), nodes], dim=-1)
        w = weights(nodes, h[ii])
        for row, i in enumerate(idx):
            out[i] = w[row]
    return out
