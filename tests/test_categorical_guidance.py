"""Guidance for categorical states: classifier-free guidance on logits and replacement of a known part, against
exact conditionals of small joints over three DNA letters and of a labelled Gaussian mixture."""

from __future__ import annotations

import pytest
import scipy.stats
import torch

import sciddiff
from sciddiff.denoisers import EnumeratedCategorical, LabelledGaussianMixture, Prediction
from sciddiff.guidance.discrete_cfg import DiscreteCFG
from sciddiff.guidance.discrete_replacement import Replacement
from sciddiff.processes import VP, MaskedProcess, MixedProcess, UniformProcess
from sciddiff.state import LeafSpec, StateSpec
from tests.test_categorical_samplers import K, L, ancestral_law, dna_joint, tv

F64 = torch.float64


class Labelled:
    """p(x | y) for y in {0, 1}, and p(x) = (p(x | 0) + p(x | 1)) / 2 when y is None."""

    def __init__(self, proc) -> None:
        self.p = [dna_joint(3), dna_joint(4)]
        self.cond = [EnumeratedCategorical(p, proc) for p in self.p]
        self.uncond = EnumeratedCategorical(0.5 * (self.p[0] + self.p[1]), proc)
        self.calls = 0

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> Prediction:
        self.calls += 1
        if y is None:
            return self.uncond(x_t, t)
        a, b = (o(x_t, t).logits["x"] for o in self.cond)
        return Prediction(None, logits={"x": torch.where(y.reshape(-1, 1, 1) == 1, b, a)})


def test_cfg_scale_one_is_the_conditional_model_and_zero_the_unconditional() -> None:
    proc = MaskedProcess(K)
    model = Labelled(proc)
    x_t = torch.tensor([[K, 1, K], [0, K, K], [K, K, K]])
    t, y = torch.full((3,), 0.6, dtype=F64), torch.tensor([1, 0, 1])
    cond, uncond = model(x_t, t, y=y).logits["x"], model(x_t, t).logits["x"]
    model.calls = 0
    assert torch.equal(DiscreteCFG(model, 1.0, {})(x_t, t, y=y).logits["x"], cond) and model.calls == 1
    assert torch.equal(DiscreteCFG(model, 0.0, {})(x_t, t, y=y).logits["x"], uncond) and model.calls == 2
    guided = DiscreteCFG(model, 2.5, {})(x_t, t, y=y).logits["x"]
    ruled_out = torch.isinf(cond)  # revealed letters: one class left under both models
    expected = torch.softmax(torch.where(ruled_out, -torch.inf, 2.5 * cond - 1.5 * uncond), -1)  # p_c^w p_u^(1-w)
    assert torch.allclose(guided.exp(), expected, atol=1e-14) and model.calls == 4


@pytest.mark.parametrize("scale", [0.0, 1.0])
def test_cfg_sampling_draws_the_conditional_or_the_unconditional_law(scale: float) -> None:
    proc = MaskedProcess(K, "cosine")
    model = Labelled(proc)
    n = 6000
    y = torch.ones(n, dtype=torch.long)
    x = proc.prior_sample((n, L))
    out = sciddiff.sample(
        DiscreteCFG(model, scale, {}),
        proc,
        x,
        "first_hitting",
        cond={"y": y},
        generator=torch.Generator().manual_seed(0),
    )
    law = model.p[1] if scale == 1.0 else 0.5 * (model.p[0] + model.p[1])
    counts = torch.bincount(model.uncond.index(out), minlength=K**L).numpy()
    assert scipy.stats.chisquare(counts, (law.reshape(-1) * n).numpy()).pvalue > 1e-3


def test_replacement_on_a_masked_leaf_samples_the_exact_conditional() -> None:
    """Fix the middle letter to 2: the output keeps it, and the other two follow p(x_0, x_2 | x_1 = 2)."""
    proc = MaskedProcess(K)
    p = dna_joint(5)
    oracle = EnumeratedCategorical(p, proc)
    known, where = torch.tensor([[0, 2, 0]]), torch.tensor([[False, True, False]])
    guided = Replacement(oracle, proc, known, where)
    conditional = p[:, 2, :] / p[:, 2, :].sum()
    n = 6000
    x = proc.prior_sample((n, L))
    for solver, steps in (("first_hitting", None), ("ancestral", 12)):
        out = sciddiff.sample(guided, proc, x, solver, steps, generator=torch.Generator().manual_seed(1))
        assert bool((out[:, 1] == 2).all())
        counts = torch.bincount(out[:, 0] * K + out[:, 2], minlength=K * K).numpy()
        if solver == "first_hitting":
            assert scipy.stats.chisquare(counts, (conditional.reshape(-1) * n).numpy()).pvalue > 1e-3
        else:  # the exact law of the guided ancestral sampler, and its convergence to the conditional
            law = ancestral_law(proc, guided, sciddiff.solvers.uniform_t(proc, steps)).reshape(K, K, K)[:, 2, :]
            assert abs(float(law.sum()) - 1.0) < 1e-12
            assert scipy.stats.chisquare(counts, (law.reshape(-1) * n).numpy()).pvalue > 1e-3
            fine = ancestral_law(proc, guided, sciddiff.solvers.uniform_t(proc, 256)).reshape(K, K, K)[:, 2, :]
            assert tv(fine, conditional) < 4e-3


def test_replacement_on_a_uniform_leaf_is_exact_for_independent_letters() -> None:
    """RePaint-style: with independent positions the free letters keep their marginals, the known one is kept."""
    proc = UniformProcess(K)
    marg = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.4, 0.4, 0.1, 0.1]], dtype=F64)
    p = marg[0][:, None, None] * marg[1][None, :, None] * marg[2][None, None, :]
    guided = Replacement(
        EnumeratedCategorical(p, proc), proc, torch.tensor([[3, 0, 0]]), torch.tensor([[True, False, False]])
    )
    law = ancestral_law(proc, guided, sciddiff.solvers.uniform_t(proc, 3)).reshape(K, K, K)
    assert torch.allclose(law.sum((1, 2)), torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=F64), atol=1e-14)
    assert torch.allclose(law[3], marg[1][:, None] * marg[2][None, :], atol=1e-14)
    n = 4000
    out = sciddiff.sample(guided, proc, proc.prior_sample((n, L)), "ancestral", 3, generator=2)
    assert bool((out[:, 0] == 3).all())


def test_replacement_of_the_label_in_a_mixed_state_samples_x_given_the_label() -> None:
    vp, lab = VP(), MaskedProcess(3, "cosine")
    means = torch.tensor([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.0]], dtype=F64)
    variances = torch.tensor([0.3, 0.5, 0.2], dtype=F64)
    mix = LabelledGaussianMixture(torch.tensor([0.5, 0.3, 0.2]), means, variances, lab, vp)
    proc = MixedProcess(vp, {"label": lab})
    spec = StateSpec({"label": LeafSpec((), "categorical", 3), "x": LeafSpec((2,))})
    guided = Replacement(mix, proc, {"label": torch.tensor([1])}, {"label": torch.tensor([True])})
    n = 6000
    x = proc.prior_sample(spec, torch.Generator().manual_seed(3), F64, batch_size=n)
    out = sciddiff.sample(guided, proc, x, "dpmpp_2m", 48, spec=spec, generator=torch.Generator().manual_seed(4))
    assert bool((out["label"] == 1).all())
    assert (out["x"].mean(0) - means[1]).abs().max() < 4 * (0.5 / n) ** 0.5 + 0.02
    assert ((out["x"].var(0) / variances[1]) - 1).abs().max() < 4 * (2 / n) ** 0.5 + 0.05


def test_replacement_errors_name_the_problem() -> None:
    proc = MaskedProcess(K)
    oracle = EnumeratedCategorical(dna_joint(), proc)
    with pytest.raises(ValueError, match="must agree after the batch axis"):
        Replacement(oracle, proc, torch.tensor([[0, 1, 2]]), torch.tensor([[True, False]]))
    with pytest.raises(ValueError, match=r"known values for leaves \['types'\] but masks for \['x'\]"):
        Replacement(oracle, proc, {"types": torch.zeros(1, 3)}, {"x": torch.ones(1, 3)})
