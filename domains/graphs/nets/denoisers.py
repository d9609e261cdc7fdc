"""Direct denoisers of graph states (``model.parametrization=direct``): ``(x_t, t, vector=None) -> Prediction``.

Both read the real nodes off the noisy nodes leaf (class 0 = absent; node types use a masked process, whose
noisy real nodes are the mask token or their clean type, never 0), crop the batch to its widest graph, and return
x0-logits with the absent class ruled out on real nodes (and certain on padding, where it is the revealed state).

- :class:`GraphDenoiser` (2-D molecules and generic graphs, categorical leaves only): the DiGress-style
  :class:`GraphTransformer` on one-hot noisy node, charge and edge states, with the noisy graph's structural
  features (degree, valence, random-walk returns and landings; ``walk_length > 0``) beside them; the noise
  level is t.
- :class:`MoleculeDenoiser` (3-D molecules): the E(3)-equivariant :class:`EGNN` with EDM preconditioning of the
  coordinates (Karras et al., "Elucidating the Design Space of Diffusion-Based Generative Models", 2022,
  arXiv:2206.00364) for x_t = alpha x0 + sigma eps: D = c_skip x_t + c_out F(c_in x_t), c_in = 1 / sqrt(alpha^2
  s^2 + sigma^2), c_skip = alpha s^2 c_in^2, c_out = sigma s c_in with s = sigma_data; F is the EGNN's
  zero-centre-of-mass coordinate update, so D rotates with x_t and stays in the centre-of-mass-free subspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from sciddiff.domains.graphs.nets.egnn import EGNN
from sciddiff.domains.graphs.nets.graph_transformer import GraphTransformer
from sciddiff.domains.graphs.nets.structure import feature_sizes, structural_features
from torch import Tensor, nn

from sciddiff.denoisers import Prediction
from sciddiff.processes import MaskedProcess, MixedProcess

_F64 = torch.float64


def crop_width(real: Tensor) -> int:
    """The smallest width holding every real node of the batch (real nodes may sit anywhere)."""
    idx = torch.arange(1, real.shape[1] + 1, device=real.device)
    return max(1, int((real * idx).amax()))


def node_logits(out: Tensor, real: Tensor) -> Tensor:
    """x0-logits over (absent, types...) in float64: absent ruled out on real nodes, 0 everywhere on padding
    (where the revealed absent class is the only consistent one)."""
    neg = torch.full_like(out[..., :1], float("-inf"), dtype=_F64)
    full = torch.cat([neg, out.to(_F64)], -1)
    return torch.where(real[..., None], full, torch.zeros((), dtype=_F64, device=out.device))


def _pad_nodes(x: Tensor, n: int, axes: int) -> Tensor:
    """Zero-pad the first ``axes`` event axes (after the batch axis) of x to size n."""
    w = x.shape[1]
    pad: list[int] = []
    for ax in range(x.dim() - 1, 0, -1):
        pad += [0, n - w] if ax <= axes else [0, 0]
    return F.pad(x, pad)


def _check_processes(process: Any, leaves: dict[str, int]) -> MixedProcess:
    proc = MixedProcess.of(process)
    if set(proc.categorical) != set(leaves):
        raise ValueError(
            f"the process has categorical leaves {sorted(proc.categorical)}; this network needs {sorted(leaves)}"
        )
    for k, classes in leaves.items():
        if proc.categorical[k].num_classes != classes:
            raise ValueError(f"leaf {k!r} has {proc.categorical[k].num_classes} classes in the process, {classes} here")
    if not isinstance(proc.categorical["nodes"], MaskedProcess):
        raise ValueError(
            "the nodes leaf needs a masked process: its class 0 marks padding, which a uniform or marginal process "
            f"would also draw for real nodes; got {proc.categorical['nodes']!r}"
        )
    return proc


class GraphDenoiser(nn.Module):
    """x0-logits of the nodes, edges (and formal charges) of a 2-D graph state from a graph transformer."""

    def __init__(
        self,
        process: Any,
        node_classes: int,
        edge_classes: int,
        charge_classes: int = 0,
        hidden_x: int = 128,
        hidden_e: int = 64,
        hidden_y: int = 64,
        n_layers: int = 4,
        n_head: int = 8,
        cond_dim: int = 0,
        p_uncond: float = 0.0,
        walk_length: int = 0,
        edge_weights: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        leaves = {"nodes": node_classes, "edges": edge_classes} | (
            {"charges": charge_classes} if charge_classes else {}
        )
        proc = _check_processes(process, leaves)
        if proc.continuous is not None:
            raise ValueError("GraphDenoiser is for categorical-only graph states; 3-D molecules use MoleculeDenoiser")
        self.states = {k: proc.categorical[k].num_states for k in leaves}
        self.node_classes, self.charge_classes = node_classes, charge_classes
        weights = [0.0] + [1.0] * (edge_classes - 1) if edge_weights is None else [float(v) for v in edge_weights]
        if len(weights) != edge_classes:
            raise ValueError(f"edge_weights needs one weight per edge class ({edge_classes}); got {list(weights)}")
        self.walk_length, self.edge_weights = int(walk_length), weights
        extra_x, extra_e = feature_sizes(self.walk_length) if self.walk_length else (0, 0)
        node_in = self.states["nodes"] + self.states.get("charges", 0) + extra_x
        self.net = GraphTransformer(
            node_in, self.states["edges"] + extra_e, node_classes - 1 + charge_classes, edge_classes,
            hidden_x, hidden_e, hidden_y, n_layers, n_head, cond_dim, p_uncond,
        )  # fmt: skip

    def forward(self, x_t: dict[str, Tensor], t: Tensor, vector: Tensor | None = None) -> Prediction:
        nodes = x_t["nodes"]
        n = nodes.shape[1]
        real = nodes != 0
        w = crop_width(real)
        dtype = next(self.parameters()).dtype
        h = F.one_hot(nodes[:, :w].long(), self.states["nodes"]).to(dtype)
        if self.charge_classes:
            h = torch.cat([h, F.one_hot(x_t["charges"][:, :w].long(), self.states["charges"]).to(dtype)], -1)
        edges = x_t["edges"][:, :w, :w]
        e = F.one_hot(edges.long(), self.states["edges"]).to(dtype)
        if self.walk_length:
            fx, fe = structural_features(edges, real[:, :w], self.edge_weights, self.walk_length)
            h, e = torch.cat([h, fx.to(dtype)], -1), torch.cat([e, fe.to(dtype)], -1)
        cond = None if vector is None else vector.to(dtype)
        lx, le = self.net(h, e, t.to(dtype), real[:, :w], cond)
        k = self.node_classes - 1
        logits = {
            "nodes": _pad_nodes(node_logits(lx[..., :k], real[:, :w]), n, 1),
            "edges": _pad_nodes(le.to(_F64), n, 2),
        }
        if self.charge_classes:
            logits["charges"] = _pad_nodes(lx[..., k:].to(_F64), n, 1)
        return Prediction(None, logits=logits)


class MoleculeDenoiser(nn.Module):
    """E[pos_0 | x_t] (and continuous charges) and atom-type x0-logits of a 3-D molecule from an EGNN."""

    def __init__(
        self,
        process: Any,
        node_classes: int,
        charges: bool = False,
        hidden: int = 128,
        n_layers: int = 6,
        sigma_data: float = 1.0,
        cond_dim: int = 0,
        p_uncond: float = 0.0,
        attention: bool = True,
        tanh: bool = True,
        coords_range: float = 15.0,
        norm: float = 1.0,
    ) -> None:
        super().__init__()
        proc = _check_processes(process, {"nodes": node_classes})
        if proc.continuous is None:
            raise ValueError("MoleculeDenoiser needs a continuous process for the coordinates (e.g. vp)")
        self.gauss, self.sigma_data, self.charges = proc.continuous, float(sigma_data), bool(charges)
        self.node_states, self.node_classes = proc.categorical["nodes"].num_states, node_classes
        extra = int(self.charges)
        self.net = EGNN(
            self.node_states + extra, node_classes - 1 + extra, hidden, n_layers, cond_dim, p_uncond,
            attention, tanh, coords_range, norm,
        )  # fmt: skip

    def forward(self, x_t: dict[str, Tensor], t: Tensor, vector: Tensor | None = None) -> Prediction:
        nodes, pos = x_t["nodes"], x_t["pos"]
        n = nodes.shape[1]
        real = (nodes != 0)[:, : crop_width(nodes != 0)]
        w = real.shape[1]
        dtype = next(self.parameters()).dtype
        alpha, sigma = (v.to(dtype)[:, None, None] for v in self.gauss.alpha_sigma(t.to(_F64)))
        s2 = self.sigma_data**2
        c_in = torch.rsqrt(alpha**2 * s2 + sigma**2)
        c_skip, c_out = alpha * s2 * c_in**2, sigma * self.sigma_data * c_in
        p = pos[:, :w].to(dtype)
        h = F.one_hot(nodes[:, :w].long(), self.node_states).to(dtype)
        if self.charges:
            h = torch.cat([h, c_in * x_t["charges"][:, :w].to(dtype)], -1)
        cond = None if vector is None else vector.to(dtype)
        dpos, hout = self.net(c_in * p, h, t.to(dtype), real, cond)
        m = real[..., None].to(dtype)
        mean = (c_skip * p + c_out * dpos) * m
        mean = (mean - mean.sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp_min(1.0)) * m
        k = self.node_classes - 1
        means = {"pos": _pad_nodes(mean.to(pos.dtype), n, 1)}
        if self.charges:
            ch = x_t["charges"][:, :w].to(dtype)
            means["charges"] = _pad_nodes(((c_skip * ch + c_out * hout[..., k:]) * m).to(pos.dtype), n, 1)
        return Prediction(means, logits={"nodes": _pad_nodes(node_logits(hout[..., :k], real), n, 1)})
