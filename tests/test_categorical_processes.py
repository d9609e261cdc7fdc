"""Categorical processes against exact answers: matrix exponentials of the rate matrix, Chapman-Kolmogorov,
Bayes' rule for q(x_s | x_t, x0), schedules and their inverses, the registry and the mixed-process checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.stats
import torch

from sciddiff.processes import (
    EDM,
    PROCESSES,
    VP,
    CosineSchedule,
    LinearSchedule,
    LogSNRSchedule,
    MarginalProcess,
    MaskedProcess,
    MixedProcess,
    PolynomialSchedule,
    UniformProcess,
    get_process,
)
from sciddiff.state import LeafSpec, StateSpec

F64 = torch.float64
PROCESSES_UNDER_TEST = [
    MaskedProcess(4, "linear"),
    MaskedProcess(3, "cosine"),
    UniformProcess(4, "cosine"),
    MarginalProcess([0.1, 0.2, 0.3, 0.4], {"name": "polynomial", "w": 2.5}),
]
IDS = ["masked-linear", "masked-cosine", "uniform-cosine", "marginal-poly"]


def _all_states(proc) -> torch.Tensor:
    return torch.arange(proc.num_states).reshape(1, -1)


@pytest.mark.parametrize("proc", PROCESSES_UNDER_TEST, ids=IDS)
def test_transitions_are_the_matrix_exponential_of_the_rate_matrix(proc) -> None:
    """q(x_t | x_s) = expm(int_s^t beta (1 m^T - I)) with beta = -alpha'/alpha, the integral by quadrature."""
    m = proc.stationary.numpy()
    generator = np.ones((proc.num_states, 1)) * m[None, :] - np.eye(proc.num_states)  # 1 m^T - I
    s, t = 0.15, 0.8

    def beta(u: float) -> float:
        uu = torch.tensor([u], dtype=F64)
        return float(-proc.schedule.dalpha(uu) / proc.schedule.alpha(uu))

    integral = scipy.integrate.quad(beta, s, t, epsabs=1e-13, epsrel=1e-13)[0]
    expected = scipy.linalg.expm(integral * generator)
    got = proc.transition_probs(_all_states(proc), torch.tensor(s, dtype=F64), torch.tensor(t, dtype=F64))[0].numpy()
    assert abs(got - expected).max() < 1e-10
    clean = torch.arange(proc.num_classes).reshape(1, -1)
    from_zero = scipy.linalg.expm(-math.log(float(proc.alpha(t))) * generator)[: proc.num_classes]
    assert abs(proc.marginal_probs(clean, torch.tensor(t, dtype=F64))[0].numpy() - from_zero).max() < 1e-12


@pytest.mark.parametrize("proc", PROCESSES_UNDER_TEST, ids=IDS)
def test_chapman_kolmogorov_and_bayes_posterior(proc) -> None:
    clean = torch.arange(proc.num_classes).reshape(1, -1)
    s, t = torch.tensor(0.3, dtype=F64), torch.tensor(0.65, dtype=F64)
    q_s = proc.marginal_probs(clean, s)[0]  # (K, S)
    q_ts = proc.transition_probs(_all_states(proc), s, t)[0]  # (S_s, S_t)
    q_t = proc.marginal_probs(clean, t)[0]
    assert torch.allclose(q_s @ q_ts, q_t, atol=1e-15)
    for k in range(proc.num_classes):
        recovered = torch.zeros(proc.num_states, dtype=F64)
        for i in range(proc.num_states):
            if q_t[k, i] == 0:
                continue
            post = proc.posterior_probs(torch.tensor([[i]]), torch.tensor([[k]]), t, s)[0, 0]
            assert abs(float(post.sum()) - 1.0) < 1e-14
            assert torch.allclose(post, q_s[k] * q_ts[:, i] / q_t[k, i], atol=1e-15)
            recovered += q_t[k, i] * post
        assert torch.allclose(recovered, q_s[k], atol=1e-15)  # marginalising x_t gives q(x_s | x0)


@pytest.mark.parametrize("proc", PROCESSES_UNDER_TEST, ids=IDS)
def test_reverse_probs_mix_the_posteriors_by_the_x0_distribution(proc) -> None:
    """p(x_s | x_t) = sum_k q(x_s | x_t, k) p(k | x_t) for a distribution p over the consistent classes."""
    gen = torch.Generator().manual_seed(3)
    s, t = torch.tensor([0.2, 0.45]), torch.tensor([0.7, 0.9])
    for i in range(proc.num_states):
        x_t = torch.full((2, 1), i)
        logits = torch.randn(2, 1, proc.num_classes, generator=gen, dtype=F64)
        p0 = proc.clean_probs(x_t, logits, t)
        expected = sum(
            p0[..., k, None] * proc.posterior_probs(x_t, torch.full((2, 1), k), t, s)
            for k in range(proc.num_classes)
            if bool(proc.consistent(x_t, t)[0, 0, k])
        )
        assert torch.allclose(proc.reverse_probs(x_t, logits, t, s), expected, atol=1e-14)


def test_masked_tokens_stay_revealed_whatever_the_logits() -> None:
    proc = MaskedProcess(4)
    x_t = torch.tensor([[2, 4, 0]])
    logits = torch.tensor([[[5.0, 0.0, -30.0, 1.0], [0.0, 1.0, 2.0, 3.0], [-40.0, 9.0, 9.0, 9.0]]], dtype=F64)
    probs = proc.reverse_probs(x_t, logits, 0.6, 0.2)
    assert probs[0, 0].tolist() == [0, 0, 1, 0, 0] and probs[0, 2].tolist() == [1, 0, 0, 0, 0]
    # a masked entry: unmasked with probability (alpha_s - alpha_t)/(1 - alpha_t) = 0.4/0.6, token ~ softmax
    soft = torch.softmax(logits[0, 1], -1)
    assert torch.allclose(probs[0, 1, :4], soft * 0.4 / 0.6, atol=1e-15)
    assert abs(float(probs[0, 1, 4]) - 0.2 / 0.6) < 1e-15
    ll = proc.x0_log_likelihood(x_t, torch.tensor(1.0))  # time-agnostic: finite even where alpha = 0
    assert ll[0, 1].tolist() == [0, 0, 0, 0] and ll[0, 0].tolist() == [-math.inf, -math.inf, 0, -math.inf]


@pytest.mark.parametrize(
    "schedule", [LinearSchedule(), CosineSchedule(), PolynomialSchedule(0.7), LogSNRSchedule(VP(), shift=1.5)]
)
def test_schedules_derivative_inverse_and_ends(schedule) -> None:
    t = torch.linspace(schedule.t_min + 1e-3, schedule.t_max - 1e-3, 41, dtype=F64)
    a = schedule.alpha(t)
    assert bool((a[1:] < a[:-1]).all()) and bool(((a > 0) & (a < 1)).all())
    assert torch.allclose(schedule.t_of_alpha(a), t, atol=1e-9)
    h = 1e-6
    fd = (schedule.alpha(t + h) - schedule.alpha(t - h)) / (2 * h)
    assert torch.allclose(schedule.dalpha(t), fd, rtol=1e-6, atol=1e-8)
    if not isinstance(schedule, LogSNRSchedule):
        ends = schedule.alpha(torch.tensor([0.0, 1.0], dtype=F64))
        assert ends.tolist() == [1.0, 0.0]  # exactly: clean at t_min, stationary at t_max


def test_log_snr_schedule_on_vp_is_the_signal_fraction() -> None:
    vp = VP()
    t = torch.linspace(vp.t_min, vp.t_max, 11, dtype=F64)
    assert torch.allclose(LogSNRSchedule(vp).alpha(t), vp.alpha(t) ** 2, atol=1e-14)


@pytest.mark.parametrize("proc", PROCESSES_UNDER_TEST, ids=IDS)
def test_add_noise_draws_the_forward_marginal_and_keeps_padding(proc) -> None:
    n = 30_000
    x0 = torch.full((n, 2), 1)
    mask = torch.tensor([[True, False]])
    t = torch.full((n,), 0.55, dtype=F64)
    x_t = proc.add_noise(x0, t, torch.Generator().manual_seed(0), mask)
    assert bool((x_t[:, 1] == 1).all())
    counts = torch.bincount(x_t[:, 0], minlength=proc.num_states).double()
    expected = proc.marginal_probs(torch.tensor([[1]]), torch.tensor(0.55))[0, 0] * n
    keep = expected > 0
    assert bool((counts[~keep] == 0).all())
    assert scipy.stats.chisquare(counts[keep].numpy(), expected[keep].numpy()).pvalue > 1e-3


def test_prior_is_the_stationary_distribution() -> None:
    masked = MaskedProcess(5)
    assert bool((masked.prior_sample((7, 3), generator=0) == 5).all())
    marginal = MarginalProcess([0.5, 0.25, 0.25])
    draws = marginal.prior_sample((20_000,), torch.Generator().manual_seed(1))
    counts = torch.bincount(draws, minlength=3).numpy()
    assert scipy.stats.chisquare(counts, [10_000, 5_000, 5_000]).pvalue > 1e-3
    assert MarginalProcess.from_data(torch.tensor([[0, 1, 1, 2]]), 3).stationary.tolist() == [0.25, 0.5, 0.25]


def test_registry_keeps_the_gaussian_table_and_builds_categorical_processes() -> None:
    assert set(PROCESSES) == {"vp", "vp_cosine", "ve", "edm", "flow"}
    masked = get_process("masked", num_classes=4, schedule="cosine")
    assert isinstance(masked, MaskedProcess) and isinstance(masked.schedule, CosineSchedule)
    mixed = get_process(
        "mixed",
        continuous={"name": "vp", "kwargs": {"beta_max": 10.0}},
        categorical={"types": {"name": "uniform", "kwargs": {"num_classes": 3}}},
    )
    assert isinstance(mixed.continuous, VP) and mixed.continuous.beta_max == 10.0
    assert isinstance(mixed.categorical["types"], UniformProcess)


def test_mixed_process_refuses_mismatches() -> None:
    spec = StateSpec({"types": LeafSpec((4,), "categorical", 3), "pos": LeafSpec((4, 3))})
    with pytest.raises(ValueError, match="share one Gaussian process"):
        MixedProcess.of({"pos": VP(), "vel": EDM(), "types": MaskedProcess(3)})
    with pytest.raises(ValueError, match=r"does not cover the time range \[0.002, 80\]"):
        MixedProcess(EDM(), {"types": MaskedProcess(3)})
    assert MixedProcess(EDM(), {"types": MaskedProcess(3, LogSNRSchedule(EDM()))}).t_max == 80.0
    with pytest.raises(ValueError, match="has 3 classes in the spec but 4"):
        MixedProcess(VP(), {"types": MaskedProcess(4)}).check_spec(spec)
    with pytest.raises(ValueError, match="no continuous process"):
        MixedProcess(None, {"types": MaskedProcess(3)}).check_spec(spec)
    with pytest.raises(ValueError, match="need every class frequency > 0"):
        MarginalProcess([0.5, 0.0, 0.5])
    with pytest.raises(ValueError, match="unknown keep schedule 'cosin'"):
        MaskedProcess(3, "cosin")
