"""Atom and molecule stability from 3-D geometry, as in EDM (Hoogeboom et al., "Equivariant Diffusion for
Molecule Generation in 3D", 2022, arXiv:2203.17003).

Every atom pair gets a bond order from its distance d (in pm): with the typical single, double and triple bond
lengths l1, l2, l3 of the pair and margins 10, 5 and 3 pm, order = 0 if d >= l1 + 10, else 1 if the pair has no
double bond or d >= l2 + 5, else 2 if it has no triple bond or d >= l3 + 3, else 3. An atom is stable when its
summed bond orders equal its allowed valence (H 1, C 4, N 3, O 2, F 1); a molecule is stable when all its
atoms are. The bond lengths are those EDM's code takes from standard tables (wiredchemist.com "Bond lengths
and energies", and chemistry-reference.com), restricted here to QM9's elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from sciddiff.domains.graphs.datasets.vocab import QM9_ATOMS
from torch import Tensor
from torch_geometric.data import Batch, Data
from torch_geometric.utils import to_dense_batch

# typical bond lengths in pm, per unordered element pair
SINGLE_PM: dict[tuple[str, str], float] = {
    ("H", "H"): 74, ("H", "C"): 109, ("H", "N"): 101, ("H", "O"): 96, ("H", "F"): 92,
    ("C", "C"): 154, ("C", "N"): 147, ("C", "O"): 143, ("C", "F"): 135,
    ("N", "N"): 145, ("N", "O"): 140, ("N", "F"): 136,
    ("O", "O"): 148, ("O", "F"): 142, ("F", "F"): 142,
}  # fmt: skip
DOUBLE_PM: dict[tuple[str, str], float] = {
    ("C", "C"): 134, ("C", "N"): 129, ("C", "O"): 120, ("N", "N"): 125, ("N", "O"): 121, ("O", "O"): 121,
}  # fmt: skip
TRIPLE_PM: dict[tuple[str, str], float] = {("C", "C"): 120, ("C", "N"): 116, ("C", "O"): 113, ("N", "N"): 110}
MARGINS_PM: tuple[float, float, float] = (10.0, 5.0, 3.0)
ALLOWED_VALENCE: dict[str, int] = {"H": 1, "C": 4, "N": 3, "O": 2, "F": 1}


def _table(lengths: dict[tuple[str, str], float], vocab: Sequence[str], margin: float) -> Tensor:
    """(K, K) thresholds length + margin in pm, -inf where the pair has no such bond (never satisfied)."""
    out = torch.full((len(vocab), len(vocab)), float("-inf"), dtype=torch.float64)
    for (a, b), length in lengths.items():
        if a in vocab and b in vocab:
            i, j = vocab.index(a), vocab.index(b)
            out[i, j] = out[j, i] = length + margin
    return out


def bond_orders(
    pos: Tensor, types: Tensor, mask: Tensor | None = None, atom_vocab: Sequence[str] = QM9_ATOMS
) -> Tensor:
    """Bond orders (B, N, N) in {0, 1, 2, 3} from coordinates (B, N, 3) in Angstrom and type indices (B, N).

    Pairs involving padding (``mask`` False) and the diagonal get 0.
    """
    vocab = list(atom_vocab)
    missing = [a for a in vocab if not any(a in pair for pair in SINGLE_PM)]
    if missing:
        raise ValueError(f"no bond-length table for elements {missing}; supported: {sorted(ALLOWED_VALENCE)}")
    if pos.dim() != 3 or pos.shape[-1] != 3 or types.shape != pos.shape[:2]:
        raise ValueError(f"pos must be (B, N, 3) and types (B, N); got {tuple(pos.shape)} and {tuple(types.shape)}")
    t = types.long()
    d = torch.cdist(pos.double(), pos.double()) * 100.0  # Angstrom -> pm
    t1, t2, t3 = (_table(tab, vocab, m) for tab, m in zip((SINGLE_PM, DOUBLE_PM, TRIPLE_PM), MARGINS_PM, strict=True))
    pair = (t[:, :, None], t[:, None, :])
    single, double, triple = d < t1[pair], d < t2[pair], d < t3[pair]
    order = single.long() * (1 + double.long() * (1 + triple.long()))
    n = pos.shape[1]
    keep = ~torch.eye(n, dtype=torch.bool, device=pos.device)
    if mask is not None:
        keep = keep & mask[:, :, None] & mask[:, None, :]
    return order * keep


@dataclass(frozen=True)
class Stability:
    """Per-atom valences and stability, and per-molecule stability (padding counts as stable)."""

    valence: Tensor  # (B, N)
    atom_stable: Tensor  # (B, N) bool
    molecule_stable: Tensor  # (B,) bool
    n_atoms: int

    @property
    def atom_stability(self) -> float:
        """Stable atoms over all real atoms."""
        return (int(self.atom_stable.sum()) - (self.atom_stable.numel() - self.n_atoms)) / self.n_atoms

    @property
    def molecule_stability(self) -> float:
        return float(self.molecule_stable.double().mean())


def stability(
    pos: Tensor, types: Tensor, mask: Tensor | None = None, atom_vocab: Sequence[str] = QM9_ATOMS
) -> Stability:
    """EDM atom and molecule stability of a padded batch: pos (B, N, 3) in Angstrom, types (B, N), mask (B, N)."""
    if mask is None:
        mask = torch.ones(types.shape, dtype=torch.bool, device=types.device)
    valence = bond_orders(pos, types, mask, atom_vocab).sum(-1)
    allowed = torch.tensor([ALLOWED_VALENCE[a] for a in atom_vocab], device=types.device)[types.long()]
    atom_stable = (valence == allowed) | ~mask
    return Stability(valence, atom_stable, atom_stable.all(-1), int(mask.sum()))


def dataset_stability(
    graphs: Sequence[Data], batch_size: int = 1024, atom_vocab: Sequence[str] = QM9_ATOMS
) -> Stability:
    """:func:`stability` over a whole collection of 3-D graphs (``x`` types, ``pos``), in padded chunks."""
    valences, atoms, molecules, n_atoms = [], [], [], 0
    for start in range(0, len(graphs), batch_size):
        chunk = [graphs[i] for i in range(start, min(start + batch_size, len(graphs)))]
        batch = Batch.from_data_list(chunk)
        pos, mask = to_dense_batch(batch.pos, batch.batch)
        types, _ = to_dense_batch(batch.x.long(), batch.batch)
        s = stability(pos, types, mask, atom_vocab)
        valences += list(s.valence.unbind())
        atoms += list(s.atom_stable.unbind())
        molecules.append(s.molecule_stable)
        n_atoms += s.n_atoms
    n = max(v.numel() for v in valences)
    pad = [torch.nn.functional.pad(v, (0, n - v.numel())) for v in valences]
    pad_ok = [torch.nn.functional.pad(a, (0, n - a.numel()), value=True) for a in atoms]
    return Stability(torch.stack(pad), torch.stack(pad_ok), torch.cat(molecules), n_atoms)
