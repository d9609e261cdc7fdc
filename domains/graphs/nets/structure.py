"""Structural input features of a noisy graph, computed from its revealed edges at every denoising step.

Attention with softmax weights averages over neighbours, so sums such as a node's degree or an atom's bond-order
valence, and ring closures, are hard for a graph transformer to read off its input. DiGress (Vignac et al., 2022,
arXiv:2209.14734, section 4) adds such features of the noisy graph (cycle counts, spectral features, valency) and
reports them as needed for valid molecules. Here, with A the 0/1 adjacency of revealed edges (class 1..K-1; the
"none" class 0 and the mask token are not edges), D its degrees and P = D^-1 A the random-walk matrix:

- per node: degree, bond-order valence sum_j w(e_ij) (w from the edge vocabulary), the fraction of the node's
  pairs still masked, and the random-walk return probabilities diag(P^k), k = 2..K_walk (random-walk structural
  encodings, Dwivedi et al., 2022, arXiv:2110.07875; diag(P^3) > 0 exactly on triangles, and so on for rings);
- per pair: the landing probabilities (P^k_ij + P^k_ji) / 2, k = 1..K_walk (relative random-walk probabilities,
  Ma et al., 2023, arXiv:2305.17589), which say how many bonds a new edge i-j would close a ring over;
- per graph, broadcast to every node: log(1 + number of real nodes), and the masked fraction of all real
  pairs (neither depends on how wide the batch is padded).

Every feature is a matrix product or a masked sum over nodes, so the features permute with the nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

# Bond orders of the molecule edge vocabularies; any other (generic-graph) edge class weighs 1.
BOND_ORDERS = {"none": 0.0, "single": 1.0, "double": 2.0, "triple": 3.0, "aromatic": 1.5}


def edge_weights(edge_vocab: Sequence[str]) -> list[float]:
    """Valence weight of each edge class: its bond order for molecule bonds, 1 for other named edges."""
    return [BOND_ORDERS.get(name, 1.0) for name in edge_vocab]


def feature_sizes(walk_length: int) -> tuple[int, int]:
    """(node features, pair features) produced by :func:`structural_features` for ``walk_length``."""
    if walk_length < 2:
        raise ValueError(f"structural features need a walk length >= 2, got {walk_length}")
    return 3 + (walk_length - 1) + 2, walk_length


def structural_features(
    edges: Tensor, node_mask: Tensor, weights: Sequence[float], walk_length: int
) -> tuple[Tensor, Tensor]:
    """Node features (B, N, Fn) and pair features (B, N, N, Fp) of noisy edge states ``edges`` (B, N, N) over
    ``len(weights)`` edge classes (states >= that are the mask token), zero on padding."""
    feature_sizes(walk_length)
    k = len(weights)
    mask = node_mask.to(torch.float32)
    pairs = mask[:, :, None] * mask[:, None, :] * (1.0 - torch.eye(edges.shape[1], device=edges.device))
    cls = edges.long()
    a = ((cls >= 1) & (cls < k)).to(torch.float32) * pairs
    masked = (cls >= k).to(torch.float32) * pairs
    w = torch.as_tensor(list(weights), dtype=torch.float32, device=edges.device)
    degree = a.sum(-1)
    valence = (a * w[cls.clamp(0, k - 1)]).sum(-1)
    n_real = mask.sum(-1, keepdim=True)
    masked_frac = masked.sum(-1) / (n_real - 1.0).clamp_min(1.0)
    p = a / degree.clamp_min(1.0)[..., None]
    power, returns, landing = p, [], [0.5 * (p + p.transpose(1, 2))]
    for _ in range(2, walk_length + 1):
        power = power @ p
        returns.append(torch.diagonal(power, dim1=1, dim2=2))
        landing.append(0.5 * (power + power.transpose(1, 2)) * pairs)
    graph = torch.stack([torch.log1p(n_real[:, 0]), masked.sum((1, 2)) / pairs.sum((1, 2)).clamp_min(1.0)], -1)
    node = torch.cat(
        [
            torch.stack([degree, valence, masked_frac], -1),
            torch.stack(returns, -1),
            graph[:, None].expand(-1, edges.shape[1], -1),
        ],
        -1,
    )
    return node * mask[..., None], torch.stack(landing, -1)
