"""The state of a graph or molecule: its leaves, their classes and shapes, and the node masks that bind them.

Every graph is padded to ``max_nodes`` nodes (real nodes first). Leaves, per sample:
- ``nodes`` (N,) categorical: class 0 marks an absent (padding) node, classes 1..K-1 are the node types (atom
  types, or the single class "node" of an unattributed graph), so a decoded state knows its own node count;
- ``edges`` (N, N) categorical, symmetric with a zero diagonal (:class:`SymmetricPairs`): 0 is "no edge",
  then the bond or edge types (absent for 3-D molecules, whose bonds are inferred from the geometry);
- ``pos`` (N, 3) continuous coordinates with zero centre of mass over the real atoms (:class:`ZeroCenterOfMass`),
  in units of a scale fitted on the training split (3-D molecules only);
- ``charges``: formal charges -1, 0, +1 as a categorical (N,) leaf for 2-D molecules; for 3-D molecules the
  atomic number Z / 10 as a continuous (N, 1) leaf, the invariant "charges" feature of EDM (Hoogeboom et al.,
  "Equivariant Diffusion for Molecule Generation in 3D", 2022, arXiv:2203.17003).
Padding entries hold 0 and are masked: masks are (B, N) for nodes and categorical charges, (B, N, N) for edges
(both nodes real), (B, N, 1) for coordinates and continuous charges.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from sciddiff.state import LeafSpec, StateSpec, SymmetricPairs, ZeroCenterOfMass

FORMAL_CHARGES: tuple[int, ...] = (-1, 0, 1)
ATOMIC_NUMBER_SCALE = 10.0
ABSENT = "absent"


@dataclass(frozen=True)
class GraphLayout:
    """Which leaves a graph state has and how many classes each holds.

    ``node_vocab`` names the node types (atom symbols, or ("node",)); node class k + 1 is ``node_vocab[k]``.
    ``edge_vocab`` names the edge classes, "none" first; empty for 3-D molecules. ``charges`` is None,
    "formal" or "atomic_number" (see the module docstring).
    """

    node_vocab: tuple[str, ...]
    edge_vocab: tuple[str, ...]
    max_nodes: int
    positions: bool = False
    charges: str | None = None
    molecule: bool = True

    def __post_init__(self) -> None:
        if self.max_nodes < 1:
            raise ValueError(f"max_nodes must be >= 1; got {self.max_nodes}")
        if self.charges not in (None, "formal", "atomic_number"):
            raise ValueError(f"charges must be None, 'formal' or 'atomic_number'; got {self.charges!r}")
        if self.charges == "atomic_number" and not self.positions:
            raise ValueError("atomic-number charges are a feature of 3-D molecules (positions=True)")
        if self.edge_vocab and self.edge_vocab[0] != "none":
            raise ValueError(f"edge class 0 must be 'none'; got {self.edge_vocab}")

    @property
    def node_classes(self) -> int:
        """K of the nodes leaf: the absent class plus one per node type."""
        return len(self.node_vocab) + 1

    @property
    def has_edges(self) -> bool:
        return bool(self.edge_vocab)

    def spec(self) -> StateSpec:
        """The unmasked state spec (event shapes padded to ``max_nodes``)."""
        n = self.max_nodes
        leaves = {"nodes": LeafSpec((n,), "categorical", self.node_classes)}
        if self.has_edges:
            leaves["edges"] = LeafSpec((n, n), "categorical", len(self.edge_vocab), (SymmetricPairs((0, 1), True),))
        if self.positions:
            leaves["pos"] = LeafSpec((n, 3), constraints=(ZeroCenterOfMass(0),))
        if self.charges == "formal":
            leaves["charges"] = LeafSpec((n,), "categorical", len(FORMAL_CHARGES))
        elif self.charges == "atomic_number":
            leaves["charges"] = LeafSpec((n, 1))
        return StateSpec(leaves)

    def masks(self, node_mask: Tensor) -> dict[str, Tensor]:
        """Per-leaf boolean masks from a node mask (B, N) (or (N,) for one item)."""
        m = node_mask.bool()
        out = {"nodes": m}
        if self.has_edges:
            out["edges"] = m[..., :, None] & m[..., None, :]
        if self.positions:
            out["pos"] = m[..., None]
        if self.charges == "formal":
            out["charges"] = m
        elif self.charges == "atomic_number":
            out["charges"] = m[..., None]
        return out

    def node_mask(self, nodes: Tensor) -> Tensor:
        """The real nodes of a state's nodes leaf (B, N): every class but 0 (absent)."""
        return nodes != 0

    def bound_spec(self, node_mask: Tensor) -> StateSpec:
        """The spec bound to the masks of a node mask (B, N); N may be below ``max_nodes`` (a trimmed batch)."""
        n = node_mask.shape[-1]
        if n > self.max_nodes:
            raise ValueError(f"a node mask over {n} nodes exceeds max_nodes={self.max_nodes}")
        layout = self if n == self.max_nodes else replace(self, max_nodes=n)
        return layout.spec().with_masks(layout.masks(node_mask))

    def trim(self, leaves: dict[str, Tensor], n: int) -> dict[str, Tensor]:
        """Batched leaves (or their masks) cut to the first ``n`` node slots: (B, N, ...) -> (B, n, ...), and the
        edges (B, N, N) -> (B, n, n). Only padding may be cut: real nodes come first in every graph."""
        if not 1 <= n <= self.max_nodes:
            raise ValueError(f"cannot trim to {n} nodes; need 1 <= n <= max_nodes={self.max_nodes}")
        return {k: v[:, :n, :n] if k == "edges" else v[:, :n] for k, v in leaves.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "node_vocab": list(self.node_vocab),
            "edge_vocab": list(self.edge_vocab),
            "max_nodes": self.max_nodes,
            "positions": self.positions,
            "charges": self.charges,
            "molecule": self.molecule,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GraphLayout:
        return cls(
            tuple(d["node_vocab"]),
            tuple(d["edge_vocab"]),
            int(d["max_nodes"]),
            bool(d["positions"]),
            d["charges"],
            bool(d["molecule"]),
        )


def node_mask_of_counts(counts: Tensor, max_nodes: int) -> Tensor:
    """(B, N) mask with the first ``counts[b]`` nodes real."""
    return torch.arange(max_nodes, device=counts.device) < counts.reshape(-1, 1)
