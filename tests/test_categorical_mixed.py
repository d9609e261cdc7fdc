"""Mixed continuous + categorical states through ``sciddiff.sample``: a label c ~ pi and x | c ~ N(mu_c, v_c I)
noised together and sampled jointly with the exact joint denoiser; the continuous step rule is the solver's own;
NFE, batch invariance and refusals."""

from __future__ import annotations

import itertools

import pytest
import scipy.stats
import torch

import sciddiff
from sciddiff.analytic import GaussianMixture
from sciddiff.denoisers import LabelledGaussianMixture, Prediction
from sciddiff.processes import EDM, VP, LogSNRSchedule, MaskedProcess, MixedProcess, UniformProcess
from sciddiff.state import LeafSpec, StateSpec, derive_seed

F64 = torch.float64
WEIGHTS = torch.tensor([0.5, 0.3, 0.2], dtype=F64)
MEANS = torch.tensor([[-2.0, 0.0], [2.0, 1.0], [0.0, -2.0]], dtype=F64)
VARIANCES = torch.tensor([0.3, 0.5, 0.2], dtype=F64)
SPEC = StateSpec({"label": LeafSpec((), "categorical", 3), "x": LeafSpec((2,))})


def setup(label_process, process) -> tuple[LabelledGaussianMixture, MixedProcess]:
    mix = LabelledGaussianMixture(WEIGHTS, MEANS, VARIANCES, label_process, process)
    return mix, MixedProcess(process, {"label": label_process})


@pytest.mark.parametrize(
    ("label_process", "process", "solver", "steps"),
    [
        (MaskedProcess(3, "cosine"), VP(), "dpmpp_2m", 64),
        (UniformProcess(3), VP(), "dpmpp_2m_sde", 64),
        (MaskedProcess(3, LogSNRSchedule(EDM(), shift=2.0)), EDM(), "heun", 40),
    ],
    ids=["masked-vp-dpmpp2m", "uniform-vp-dpmpp2msde", "masked-edm-heun"],
)
def test_joint_sampling_reproduces_the_joint(label_process, process, solver: str, steps: int) -> None:
    mix, proc = setup(label_process, process)
    n = 8000
    x = proc.prior_sample(SPEC, torch.Generator().manual_seed(0), F64, batch_size=n)
    out = sciddiff.sample(mix, proc, x, solver, steps, spec=SPEC, generator=torch.Generator().manual_seed(1))
    labels, xs = out["label"], out["x"]
    counts = torch.bincount(labels, minlength=4)
    assert counts[3] == 0  # no mask left
    assert scipy.stats.chisquare(counts[:3].numpy(), (WEIGHTS * n).numpy()).pvalue > 1e-3
    for c in range(3):  # 4 Monte Carlo standard errors plus the solver's discretisation bias
        sel = xs[labels == c]
        m = len(sel)
        assert (sel.mean(0) - MEANS[c]).abs().max() < 4 * (VARIANCES[c] / m) ** 0.5 + 0.02
        assert ((sel.var(0) / VARIANCES[c]) - 1).abs().max() < 4 * (2 / m) ** 0.5 + 0.05


def test_continuous_leaves_follow_the_solver_exactly_when_independent_of_the_label() -> None:
    """If x is independent of the label and the denoiser knows it, the mixed run's x equals the plain continuous
    run of the same deterministic solver, and the label follows the one-leaf ancestral law exactly."""
    vp, lab = VP(), MaskedProcess(3)
    gmm = GaussianMixture(torch.tensor([0.6, 0.4]), MEANS[:2], VARIANCES[:2])
    cont = gmm.denoiser(vp)
    probs = WEIGHTS

    def denoiser(state: dict, t: torch.Tensor) -> Prediction:
        logits = torch.log(probs).expand(t.shape[0], 3)  # p(c | c_t masked) = pi; revealed labels are kept
        return Prediction({"x": cont(state["x"], t).mean}, logits={"label": logits})

    proc = MixedProcess(vp, {"label": lab})
    n, steps = 5000, 7
    x = proc.prior_sample(SPEC, torch.Generator().manual_seed(2), F64, batch_size=n)
    out = sciddiff.sample(denoiser, proc, x, "dpmpp_2m", steps, spec=SPEC, generator=torch.Generator().manual_seed(3))
    plain = sciddiff.sample(cont, vp, x["x"], "dpmpp_2m", steps)
    assert torch.equal(out["x"], plain)
    assert scipy.stats.chisquare(torch.bincount(out["label"], minlength=3).numpy(), (probs * n).numpy()).pvalue > 1e-3


@pytest.mark.parametrize(
    ("solver", "options", "nfe"),
    [("heun", {}, 2 * 6), ("pc", {}, 2 * 6 + 1), ("dpmpp_3m", {"warmup": "multistep"}, 7), ("unipc", {}, 7)],
)
def test_nfe_of_mixed_sampling(solver: str, options: dict, nfe: int) -> None:
    mix, proc = setup(MaskedProcess(3), VP())
    x = proc.prior_sample(SPEC, 0, F64, batch_size=4)
    out, info = sciddiff.sample(mix, proc, x, solver, 6, spec=SPEC, generator=0, return_info=True, **options)
    assert info.nfe == nfe and bool((out["label"] < 3).all())


def test_batch_invariance_and_mapping_form_of_the_process() -> None:
    lab, vp = UniformProcess(3), VP()
    mix, proc = setup(lab, vp)
    x = proc.prior_sample(SPEC, 5, F64, batch_size=6)
    together = sciddiff.sample(mix, proc, x, "ddpm", 8, spec=SPEC, generator=9)
    alone = [
        sciddiff.sample(
            mix, proc, {k: v[i : i + 1] for k, v in x.items()}, "ddpm", 8, spec=SPEC, generator=[derive_seed(9, i)]
        )
        for i in range(6)
    ]
    for k in ("label", "x"):
        assert torch.allclose(together[k].double(), torch.cat([a[k] for a in alone]).double(), rtol=0, atol=1e-12)
    mapped = sciddiff.sample(mix, {"x": vp, "label": lab}, x, "ddpm", 8, spec=SPEC, generator=9)
    assert all(torch.equal(mapped[k], together[k]) for k in ("label", "x"))
    prior_again = proc.prior_sample(SPEC, 5, F64, batch_size=6)
    assert all(torch.equal(prior_again[k], x[k]) for k in x)


def test_padding_of_a_mixed_graph_like_state() -> None:
    """Node types and coordinates with a node mask: padded types and coordinates are left alone."""
    lab = MaskedProcess(3)
    spec = StateSpec({"types": LeafSpec((4,), "categorical", 3), "pos": LeafSpec((4, 2))}).with_masks(
        {"types": torch.tensor([[True, True, True, False]]), "pos": torch.tensor([[[True], [True], [True], [False]]])}
    )

    def denoiser(state: dict, t: torch.Tensor) -> Prediction:
        return Prediction({"pos": 0.5 * state["pos"]}, logits={"types": torch.zeros(t.shape[0], 4, 3)})

    proc = MixedProcess(VP(), {"types": lab})
    x = proc.prior_sample(spec, 0, F64, batch_size=3)
    assert bool((x["types"][:, 3] == 0).all()) and bool((x["pos"][:, 3] == 0).all())
    out = sciddiff.sample(denoiser, proc, x, "ddim", 5, spec=spec, generator=1)
    assert bool((out["types"][:, 3] == 0).all()) and bool((out["pos"][:, 3] == 0).all())
    assert bool((out["types"][:, :3] < 3).all())


def test_mixed_sampling_refusals() -> None:
    mix, proc = setup(MaskedProcess(3), VP())
    x = proc.prior_sample(SPEC, 0, F64, batch_size=2)
    for solver, options in itertools.chain([("rk45", {}), ("dpmpp_3m", {}), ("euler", {"churn": 1.0})]):
        with pytest.raises(ValueError, match="evaluates the denoiser between grid points"):
            sciddiff.sample(mix, proc, x, solver, 4, spec=SPEC, **options)
    with pytest.raises(ValueError, match="first_hitting draws its own event times"):
        sciddiff.sample(mix, proc, x, "first_hitting", 4, spec=SPEC)
    with pytest.raises(ValueError, match="grid='optimized' tunes grids of continuous states"):
        sciddiff.sample(mix, proc, x, "ddim", 4, spec=SPEC, grid="optimized")
    with pytest.raises(ValueError, match=r"mean must hold the continuous leaves \['x'\]"):
        sciddiff.sample(lambda s, t: Prediction({}, logits=mix(s, t).logits), proc, x, "ddim", 4, spec=SPEC)
    with pytest.raises(ValueError, match="supports only continuous leaves"):
        sciddiff.sample(mix, VP(), x, "ddim", 4, spec=SPEC)


@pytest.mark.parametrize("solver", ["ddim", "heun", "pc", "unipc"])
def test_categorical_leaves_are_at_the_grid_time_of_every_evaluation(solver: str) -> None:
    """Whatever the logits, a masked leaf is revealed at t with probability alpha(t): the fraction revealed that
    the denoiser sees at each grid time matches alpha there (the stepper is in step with the solver)."""
    lab = MaskedProcess(3, "cosine")
    proc = MixedProcess(VP(), {"label": lab})
    seen: list[tuple[float, float]] = []

    def denoiser(state: dict, t: torch.Tensor) -> Prediction:
        seen.append((float(t[0]), float((state["label"] != 3).double().mean())))
        return Prediction({"x": 0.3 * state["x"]}, logits={"label": torch.zeros(t.shape[0], 3)})

    n = 4000
    x = proc.prior_sample(SPEC, torch.Generator().manual_seed(0), F64, batch_size=n)
    sciddiff.sample(
        denoiser, proc, x, solver, 6, spec=SPEC, grid="uniform_t", generator=torch.Generator().manual_seed(1)
    )
    assert seen[0][1] == 0.0
    for t, revealed in seen:
        a = float(lab.alpha(torch.tensor(t, dtype=F64)))
        assert abs(revealed - a) < 4 * (a * (1 - a) / n) ** 0.5 + 1e-12
