"""Categorical and mixed losses against exact values.

- The continuous-time ELBO of masked (MD4), uniform and marginal processes, integrated exactly (enumerated
  noisy states, Gauss-Legendre in t), equals -log q(x0) for the exact denoiser of any distribution q: the bound
  is tight, whatever the schedule.
- The loss API at a fixed t averages to the enumerated expectation; padding is never noised nor counted.
- The mixed loss at the exact joint denoiser averages to E||E[x0 | x_t, c_t] - x0||^2 + lambda H(c | x_t, c_t),
  both computed by quadrature.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from sciddiff.denoisers import EnumeratedCategorical, LabelledGaussianMixture, Prediction
from sciddiff.losses import DenoisingLoss, MixedLoss, masked_elbo, mixing_elbo
from sciddiff.processes import VP, MarginalProcess, MaskedProcess, MixedProcess, UniformProcess
from sciddiff.state import LeafSpec, StateSpec

F64 = torch.float64


def joint(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    p = torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=F64) + 0.1
    return p / p.sum()


def noisy_states(proc, x0: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every (x0, x_t) pair with q(x_t | x0) > 0 and its probability, for the rows of x0."""
    length = x0.shape[1]
    all_xt = torch.tensor(list(itertools.product(range(proc.num_states), repeat=length)))
    q = proc.marginal_probs(x0, t)
    prob = torch.ones(len(x0), len(all_xt), dtype=F64)
    for i in range(length):
        prob = prob * q[:, i, :][:, all_xt[:, i]]
    rows0, rows_t = x0.repeat_interleave(len(all_xt), 0), all_xt.repeat(len(x0), 1)
    keep = prob.reshape(-1) > 0
    return rows0[keep], rows_t[keep], prob.reshape(-1)[keep]


def exact_elbo(proc, oracle: EnumeratedCategorical, x0: torch.Tensor, nodes: int) -> torch.Tensor:
    """int_0^1 E_{x_t | x0}[sum of ELBO terms] dt, with t = u^3 / (u^3 + (1-u)^3) clustering nodes at both ends."""
    terms_of = masked_elbo if isinstance(proc, MaskedProcess) else mixing_elbo
    xg, wg = np.polynomial.legendre.leggauss(nodes)
    u, wu = (xg + 1) / 2, wg / 2
    t_nodes = u**3 / (u**3 + (1 - u) ** 3)
    jac = 3 * u**2 * (1 - u) ** 2 / (u**3 + (1 - u) ** 3) ** 2
    index = {tuple(r.tolist()): i for i, r in enumerate(x0)}
    total = torch.zeros(len(x0), dtype=F64)
    for t, w in zip(t_nodes, wu * jac, strict=True):
        rows0, rows_t, prob = noisy_states(proc, x0, float(t))
        tt = torch.full((len(rows0),), float(t), dtype=F64)
        terms = terms_of(proc, oracle(rows_t, tt).logits["x"], rows0, rows_t, tt).sum(-1)
        owner = torch.tensor([index[tuple(r.tolist())] for r in rows0])
        total.index_add_(0, owner, w * prob * terms)
    return total


@pytest.mark.parametrize(
    ("proc", "shape", "nodes"),
    [
        (MaskedProcess(4, "linear"), (4, 4, 4), 30),
        (MaskedProcess(4, "cosine"), (4, 4, 4), 30),
        (UniformProcess(4), (4, 4), 60),
        (MarginalProcess([0.1, 0.2, 0.3, 0.4], "cosine"), (4, 4), 60),
    ],
    ids=["masked-linear", "masked-cosine", "uniform", "marginal"],
)
def test_continuous_time_elbo_is_exact_for_the_exact_denoiser(proc, shape: tuple[int, ...], nodes: int) -> None:
    """For the exact denoiser of any q (here the data law p, and a different q), ELBO(x0) = -log q(x0)."""
    for seed in (0, 1):
        oracle = EnumeratedCategorical(joint(shape, seed), proc)
        elbo = exact_elbo(proc, oracle, oracle.states, nodes)
        assert torch.allclose(elbo, -oracle.log_prob(oracle.states), rtol=0, atol=1e-8)


def test_mixing_elbo_reduces_to_md4_for_the_masked_process() -> None:
    proc = MaskedProcess(5, "polynomial")
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randint(0, 5, (64, 7), generator=gen)
    t = torch.rand(64, generator=gen, dtype=F64) * 0.98 + 0.01
    x_t = proc.add_noise(x0, t, gen)
    logits = torch.randn(64, 7, 5, generator=gen, dtype=F64)
    md4 = masked_elbo(proc, logits, x0, x_t, t)
    assert torch.allclose(mixing_elbo(proc, logits, x0, x_t, t), md4, rtol=1e-12, atol=1e-12)
    assert bool((md4[x_t != 5] == 0).all()) and bool((md4[x_t == 5] > 0).all())


def _expected_terms(proc, oracle, x0_row: torch.Tensor, t: float, objective: str) -> float:
    rows0, rows_t, prob = noisy_states(proc, x0_row[None], t)
    tt = torch.full((len(rows0),), t, dtype=F64)
    logits = oracle(rows_t, tt).logits["x"]
    if objective == "elbo":
        terms = (masked_elbo if isinstance(proc, MaskedProcess) else mixing_elbo)(proc, logits, rows0, rows_t, tt)
    else:
        from sciddiff.losses import cross_entropy

        terms = cross_entropy(proc, logits, rows0, rows_t, tt)
        if isinstance(proc, MaskedProcess):
            terms = torch.where(rows_t == proc.mask_index, terms, 0.0)
    return float((prob * terms.sum(-1)).sum())


@pytest.mark.parametrize(
    ("proc", "objective"),
    [
        (MaskedProcess(4), "elbo"),
        (MaskedProcess(4, "cosine"), "ce"),
        (UniformProcess(4), "elbo"),
        (UniformProcess(4), "ce"),
    ],
    ids=["masked-elbo", "masked-ce", "uniform-elbo", "uniform-ce"],
)
def test_loss_api_at_fixed_time_averages_to_the_enumerated_value(proc, objective: str) -> None:
    oracle = EnumeratedCategorical(joint((4, 4, 4), 2), proc)
    loss = DenoisingLoss(proc, categorical=objective, reduction="sum")
    x0_row = torch.tensor([2, 0, 3])
    n = 12_000
    for t in (0.3, 0.85):
        values = loss(
            oracle, x0_row.expand(n, 3), generator=torch.Generator().manual_seed(7), t=torch.tensor(t, dtype=F64)
        )
        expected = _expected_terms(proc, oracle, x0_row, t, objective)
        se = float(values.std()) / math.sqrt(n)
        assert abs(float(values.mean()) - expected) < 4.5 * se + 1e-12


def test_loss_ignores_padding_and_means_over_real_entries() -> None:
    proc = MaskedProcess(3)
    seen: list[torch.Tensor] = []

    def denoiser(x_t: torch.Tensor, t: torch.Tensor, shift: float = 0.0) -> Prediction:
        seen.append(x_t)
        logits = torch.zeros(*x_t.shape, 3, dtype=F64)
        logits[:, 2] += shift  # only the padded entry's logits change
        return Prediction(None, logits={"x": logits})

    x0 = torch.tensor([[0, 1, 2], [2, 2, 1]]).repeat(500, 1)
    spec = StateSpec({"x": LeafSpec((3,), "categorical", 3)}, is_tensor=True).with_masks(
        torch.tensor([[True, True, False]])
    )
    loss = DenoisingLoss(proc, categorical="ce", reduction="mean")
    t = torch.tensor(0.7)
    a = loss(denoiser, x0, spec=spec, generator=0, t=t)
    b = loss(lambda x, tt: denoiser(x, tt, shift=25.0), x0, spec=spec, generator=0, t=t)
    assert torch.equal(a, b)
    assert bool((seen[0][:, 2] == x0[:, 2]).all())  # padding is never noised
    masked = (seen[0][:, :2] == 3).sum(1).double()
    assert torch.allclose(a.double(), masked * math.log(3) / 2)  # uniform logits: log 3 per masked real entry


def test_mixed_loss_at_the_exact_joint_denoiser() -> None:
    """E[loss] = E[x0^2] - E[E[x0 | x_t, c_t]^2] + lambda E[1{c_t masked} (-log p(c | x_t, c_t))] at fixed t."""
    vp, lab = VP(), MaskedProcess(3, "cosine")
    mix = LabelledGaussianMixture(
        torch.tensor([0.5, 0.3, 0.2]), torch.tensor([[-1.5], [1.0], [2.5]]), torch.tensor([0.4, 0.2, 0.3]), lab, vp
    )
    lam, t = 2.0, 0.35
    loss = MixedLoss(MixedProcess(vp, {"label": lab}), categorical="ce", reduction="sum", leaf_weights={"label": lam})
    n = 20_000
    x0 = mix.sample(n, torch.Generator().manual_seed(0))
    values = loss(mix, x0, generator=torch.Generator().manual_seed(1), t=torch.tensor(t, dtype=F64))
    # quadrature over x_t for each noisy label c_t
    a, s = (float(c) for c in vp.alpha_sigma(torch.tensor(t, dtype=F64)))
    grid = torch.linspace(-9.0, 9.0, 6001, dtype=F64)
    dx = float(grid[1] - grid[0])
    second_moment = float((mix.weights * (mix.means[:, 0] ** 2 + mix.variances)).sum())
    explained, entropy = 0.0, 0.0
    for c_t in range(4):
        state = {"label": torch.full((len(grid),), c_t), "x": grid[:, None]}
        pred = mix(state, torch.full((len(grid),), t, dtype=F64))
        var = a**2 * mix.variances + s**2
        dens = torch.exp(-0.5 * (grid[:, None] - a * mix.means[:, 0]) ** 2 / var) / torch.sqrt(2 * math.pi * var)
        q_ct = lab.marginal_probs(torch.arange(3)[None], t)[0, :, c_t]  # q(c_t | c)
        joint_c = mix.weights * q_ct * dens  # p(x_t, c_t, c), (grid, C)
        explained += float((joint_c.sum(1) * pred.mean["x"][:, 0] ** 2).sum()) * dx
        if c_t == lab.mask_index:
            entropy -= float((joint_c * pred.logits["label"]).sum()) * dx
    expected = second_moment - explained + lam * entropy
    se = float(values.std()) / math.sqrt(n)
    assert abs(float(values.mean()) - expected) < 4.5 * se


def test_loss_errors_name_the_problem() -> None:
    proc = MaskedProcess(3)
    x0 = torch.zeros(4, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="must return a Prediction with logits"):
        DenoisingLoss(proc)(lambda x, t: x, x0, generator=0)
    with pytest.raises(ValueError, match=r"expected \(4, 2, 3\)"):
        DenoisingLoss(proc)(lambda x, t: Prediction(None, logits={"x": torch.zeros(4, 2, 4)}), x0, generator=0)
    with pytest.raises(ValueError, match="unknown categorical objective 'nll'"):
        DenoisingLoss(proc, categorical="nll")
    with pytest.raises(ValueError, match="leaf_weights for unknown categorical leaves"):
        MixedLoss(proc, leaf_weights={"types": 2.0})
