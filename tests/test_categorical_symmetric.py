"""Symmetric categorical leaves (edge types of a graph): noised and sampled on the upper triangle, mirrored,
with a fixed diagonal and padded nodes left alone; their pairs follow the exact law of three independent-entry
positions."""

from __future__ import annotations

import math

import scipy.stats
import torch

import sciddiff
from sciddiff.denoisers import EnumeratedCategorical, Prediction
from sciddiff.losses import DenoisingLoss
from sciddiff.processes import MaskedProcess, MixedProcess
from sciddiff.state import LeafSpec, StateSpec, SymmetricPairs
from tests.test_categorical_samplers import K, ancestral_law, dna_joint

ROWS, COLS = torch.tensor([0, 0, 1]), torch.tensor([1, 2, 2])  # the three pairs of a 3-node graph


def edge_spec(nodes: int = 3, real: int = 3) -> StateSpec:
    spec = StateSpec({"edges": LeafSpec((nodes, nodes), "categorical", K, (SymmetricPairs(),))})
    node = torch.arange(nodes) < real
    return spec.with_masks({"edges": (node[:, None] & node[None, :])[None]})


class PairDenoiser:
    """The exact denoiser of a law over the three pairs, on (B, N, N) edge states (padding nodes after 3)."""

    def __init__(self, proc: MaskedProcess) -> None:
        self.oracle = EnumeratedCategorical(dna_joint(6), proc)

    def __call__(self, x: dict, t: torch.Tensor) -> Prediction:
        e = x["edges"]
        pair_logits = self.oracle(e[:, ROWS, COLS], t).logits["x"]
        logits = torch.zeros(*e.shape, K, dtype=torch.float64)
        logits[:, ROWS, COLS] = pair_logits
        logits[:, COLS, ROWS] = pair_logits
        return Prediction(None, logits={"edges": logits})


def test_symmetric_edges_are_sampled_exactly_and_stay_symmetric() -> None:
    proc = MaskedProcess(K, "cosine")
    den, spec = PairDenoiser(proc), edge_spec(nodes=4, real=3)
    mixed = MixedProcess(None, {"edges": proc})
    n = 6000
    x = mixed.prior_sample(spec, torch.Generator().manual_seed(0), batch_size=n)
    e = x["edges"]
    assert torch.equal(e, e.transpose(1, 2)) and bool((torch.diagonal(e, dim1=1, dim2=2) == 0).all())
    assert bool((e[:, ROWS, COLS] == K).all()) and bool((e[:, 3] == 0).all())
    law = ancestral_law(proc, den.oracle, sciddiff.solvers.uniform_t(proc, 6))
    for solver, steps, target in (("first_hitting", None, dna_joint(6).reshape(-1)), ("ancestral", 6, law)):
        out, info = sciddiff.sample(
            den, mixed, x, solver, steps, spec=spec, generator=torch.Generator().manual_seed(1), return_info=True
        )
        o = out["edges"]
        assert torch.equal(o, o.transpose(1, 2)) and bool((torch.diagonal(o, dim1=1, dim2=2) == 0).all())
        assert bool((o[:, 3] == 0).all()) and bool((o < K).all())
        assert info.nfe == (3 if solver == "first_hitting" else 6)
        counts = torch.bincount(den.oracle.index(o[:, ROWS, COLS]), minlength=K**3).numpy()
        assert scipy.stats.chisquare(counts, (target * n).numpy()).pvalue > 1e-3


def test_symmetric_edges_are_noised_once_per_pair_in_the_loss() -> None:
    proc = MaskedProcess(K)
    seen: list[torch.Tensor] = []

    def denoiser(x: dict, t: torch.Tensor) -> Prediction:
        seen.append(x["edges"])
        return Prediction(None, logits={"edges": torch.zeros(*x["edges"].shape, K)})

    x0 = torch.tensor([[0, 1, 2, 0], [1, 0, 3, 0], [2, 3, 0, 0], [0, 0, 0, 0]]).expand(400, 4, 4)
    spec = edge_spec(nodes=4, real=3)
    loss = DenoisingLoss(MixedProcess(None, {"edges": proc}), categorical="ce", reduction="mean")
    values = loss(denoiser, {"edges": x0}, spec=spec, generator=3, t=torch.tensor(0.5, dtype=torch.float64))
    e = seen[0]
    assert torch.equal(e, e.transpose(1, 2)) and torch.equal(
        torch.diagonal(e, dim1=1, dim2=2), torch.zeros(400, 4).long()
    )
    assert torch.equal(e[:, 3], x0[:, 3])
    masked_pairs = (e[:, ROWS, COLS] == K).sum(1).double()
    assert torch.allclose(values.double(), masked_pairs * math.log(K) / 3)  # each pair counted once
    assert 0.35 < float(masked_pairs.mean()) / 3 < 0.65  # alpha(0.5) = 0.5 of the pairs are masked
