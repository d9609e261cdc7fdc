"""Tiny trained graph models (a few steps on a QM9 slice or SBM graphs): sampling through ``TrainedModel.sample``
to ``Data``, per-sample seeds, and the invariance of the per-sample ELBO integrand under node permutations and
(3-D) rotations.

The negative ELBO of x0 is E_t E_{x_t ~ q(x_t | x0)} l(x0, x_t, t). A permutation P (and rotation R) maps
q(x_t | x0) to q(P x_t | P x0), so the ELBO is invariant when the integrand is, l(P x0, P x_t, t) = l(x0, x_t, t),
which is what these tests check exactly for the trained networks (real and padding nodes permuted together).
"""

from __future__ import annotations

import math

import pytest
import torch
from sciddiff.domains.graphs.chem import graph_molecule
from test_graphs_adapter import Spy, _padded
from torch import Tensor
from torch_geometric.data import Data

from sciddiff.denoisers.categorical_output import split_prediction
from sciddiff.losses.categorical import categorical_terms
from sciddiff.processes import MixedProcess
from sciddiff.state import StateSpec, free_entries
from sciddiff.train import TrainedModel
from sciddiff.train.build import loss_from

F64 = torch.float64


def _draw(model: TrainedModel, n: int, seed: int = 0) -> list[Data]:
    solver = model.record["config"]["solver"]
    return model.adapter.decode(model.sample(n, solver["name"], 4, seed=seed))


@pytest.mark.parametrize("form", ["2d", "3d", "sbm"])
def test_a_tiny_trained_model_samples_data_objects_per_seed(
    form: str, qm9_2d_model: TrainedModel, qm9_3d_model: TrainedModel, sbm_model: TrainedModel
) -> None:
    model = {"2d": qm9_2d_model, "3d": qm9_3d_model, "sbm": sbm_model}[form]
    layout = model.adapter.layout
    graphs = _draw(model, 6, seed=3)
    assert len(graphs) == 6 and all(isinstance(g, Data) for g in graphs)
    support = set(model.adapter.node_counts.probs.nonzero().reshape(-1).tolist())
    for g in graphs:
        n = int(g.num_nodes)
        assert n in support and g.x.shape == (n,) and int(g.x.min()) >= 0 and int(g.x.max()) < len(layout.node_vocab)
        if layout.has_edges:
            e = set(zip(g.edge_index[0].tolist(), g.edge_index[1].tolist(), strict=True))
            assert e == {(j, i) for i, j in e} and all(i != j for i, j in e)
            assert set(g.edge_attr.tolist()) <= set(range(1, len(layout.edge_vocab)))
        if layout.positions:
            assert g.pos.shape == (n, 3) and float(g.pos.mean(0).abs().max()) < 1e-4
            mol = graph_molecule(g, layout)
            assert mol.GetNumAtoms() == n and mol.GetNumConformers() == 1
    again = _draw(model, 2, seed=3)  # sample i does not depend on the batch it was drawn in
    for g, h in zip(graphs[:2], again, strict=True):
        assert torch.equal(g.x, h.x) and torch.equal(g.edge_index, h.edge_index)
        if layout.positions:
            assert torch.allclose(g.pos, h.pos, atol=1e-5)


def elbo_integrand(
    model: TrainedModel, spec: StateSpec, x0: dict[str, Tensor], x_t: dict[str, Tensor], t: Tensor
) -> Tensor:
    """l(x0, x_t, t) per sample: the masked-diffusion ELBO integrands of the categorical leaves (free entries:
    real, and each edge pair once) plus the squared x0 error of the coordinates (its t-dependent weight is a
    constant factor per sample, irrelevant to invariance)."""
    process = MixedProcess.of(model.process)
    b = t.shape[0]
    means, logits = split_prediction(model.denoiser(x_t, t.float()), spec, b)
    total = torch.zeros(b, dtype=F64)
    for k in spec.categorical:
        terms = categorical_terms(process.categorical[k], logits[k], x0[k], x_t[k], t, "elbo")
        free = free_entries(spec.leaves[k], spec.masks.get(k), x0[k])
        total += torch.where(free, terms, 0.0).reshape(b, -1).sum(1)
    if "pos" in x0:
        err = (means["pos"].double() - x0["pos"].double()) ** 2 * spec.masks["pos"]
        total += err.reshape(b, -1).sum(1)
    return total


def _permute(x: dict[str, Tensor], perm: Tensor) -> dict[str, Tensor]:
    out = {}
    for k, v in x.items():
        v = v[:, perm]
        out[k] = v[:, :, perm] if k == "edges" else v
    return out


def _rotation(seed: int) -> Tensor:
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(seed), dtype=F64))
    return (q * torch.sign(torch.diagonal(r))).float()


@pytest.mark.parametrize("form", ["2d", "3d"])
def test_the_elbo_integrand_is_invariant_to_node_permutations_and_rotations(
    form: str, qm9_2d_model: TrainedModel, qm9_3d_model: TrainedModel
) -> None:
    model = qm9_2d_model if form == "2d" else qm9_3d_model
    x0, masks = _padded(model.adapter, "val", 8)
    spec = model.adapter.state_spec().with_masks(masks)
    t = torch.linspace(0.15, 0.95, 8, dtype=F64)
    spy = Spy(model.denoiser)
    loss_from(model.record["loss"], model.process)(spy, x0, spec=spec, generator=11, t=t)
    x_t = spy.seen[0]
    base = elbo_integrand(model, spec, x0, x_t, t)
    assert bool(torch.isfinite(base).all()) and float(base.min()) > 0
    n = model.adapter.layout.max_nodes
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(2))  # padding ends up between real nodes
    pspec = model.adapter.state_spec().with_masks(_permute(masks, perm))
    permuted = elbo_integrand(model, pspec, _permute(x0, perm), _permute(x_t, perm), t)
    assert torch.allclose(permuted, base, rtol=1e-4, atol=1e-5)
    if form == "3d":
        rot = _rotation(4)
        r0, rt = dict(x0), dict(x_t)
        r0["pos"], rt["pos"] = x0["pos"] @ rot.T, x_t["pos"] @ rot.T
        assert torch.allclose(elbo_integrand(model, spec, r0, rt, t), base, rtol=1e-4, atol=1e-5)
        flipped = dict(rt)
        flipped["pos"] = rt["pos"] * torch.tensor([1.0, 1.0, -1.0])  # EGNNs are E(3)-invariant: reflections too
        r0["pos"] = r0["pos"] * torch.tensor([1.0, 1.0, -1.0])
        assert torch.allclose(elbo_integrand(model, spec, r0, flipped, t), base, rtol=1e-4, atol=1e-5)
    # a control: a different noisy state gives a different value, so the check above can fail
    other = dict(x_t)
    other["nodes"] = torch.where(masks["nodes"], model.process.categorical["nodes"].mask_index, 0)
    assert not torch.allclose(elbo_integrand(model, spec, x0, other, t), base, rtol=1e-3)
    assert math.isfinite(float(base.sum()))
