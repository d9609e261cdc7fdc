"""Categorical samplers against exact laws.

The ancestral sampler's output law is computed exactly by propagating a distribution over every noisy state
through its per-step kernels (built from the exact denoiser of a small joint over three DNA letters). That law
converges to the data law at first order, and ``sciddiff.sample`` draws from it (chi-square). First-hitting
sampling reproduces the data law itself, with one evaluation per masked entry and the event times of order
statistics.
"""

from __future__ import annotations

import itertools

import pytest
import scipy.stats
import torch

import sciddiff
from sciddiff.denoisers import EnumeratedCategorical, Prediction
from sciddiff.processes import VP, LogSNRSchedule, MarginalProcess, MaskedProcess, UniformProcess
from sciddiff.state import LeafSpec, StateSpec, derive_seed

F64 = torch.float64
K, L = 4, 3  # a 4-letter alphabet, three positions


def dna_joint(seed: int = 0) -> torch.Tensor:
    p = torch.rand((K,) * L, generator=torch.Generator().manual_seed(seed), dtype=F64) + 0.15
    return p / p.sum()


def ancestral_law(proc, oracle: EnumeratedCategorical, grid: torch.Tensor) -> torch.Tensor:
    """Exact law of the ancestral sampler on ``grid`` (from x ~ prior at grid[0]) over the K^L clean states."""
    states = torch.tensor(list(itertools.product(range(proc.num_states), repeat=L)))
    prior = proc.stationary[states].prod(-1)

    def kernel(probs: torch.Tensor) -> torch.Tensor:
        out = torch.ones(len(states), len(states), dtype=F64)
        for i in range(L):
            out = out * probs[:, i, :][:, states[:, i]]
        return out

    dist = prior
    for t, s in itertools.pairwise(grid):
        tt = t.expand(len(states))
        dist = dist @ kernel(proc.reverse_probs(states, oracle(states, tt).logits["x"], tt, s.expand(len(states))))
    if float(proc.alpha(grid[-1])) < 1:
        tt = grid[-1].expand(len(states))
        clean = proc.clean_probs(states, oracle(states, tt).logits["x"], tt)
        dist = dist @ kernel(torch.cat([clean, torch.zeros_like(clean[..., :1])], -1) if proc.num_states > K else clean)
    clean_rows = (states < K).all(1)
    assert abs(float(dist[~clean_rows].sum())) < 1e-12
    return dist[clean_rows]  # rows of clean states are in the same order as oracle.states


def tv(a: torch.Tensor, b: torch.Tensor) -> float:
    return 0.5 * float((a - b).abs().sum())


def chi2_pvalue(draws: torch.Tensor, oracle: EnumeratedCategorical, law: torch.Tensor) -> float:
    counts = torch.bincount(oracle.index(draws), minlength=K**L).double()
    return float(scipy.stats.chisquare(counts.numpy(), (law * len(draws)).numpy()).pvalue)


PROCS = [MaskedProcess(K), MaskedProcess(K, "cosine"), UniformProcess(K), MarginalProcess([0.4, 0.3, 0.2, 0.1])]
IDS = ["masked", "masked-cosine", "uniform", "marginal"]


def test_one_ancestral_step_draws_the_product_of_the_marginals() -> None:
    """From the prior straight to t = 0, entries are drawn independently: the product of p's marginals."""
    p = dna_joint()
    for proc in PROCS:
        law = ancestral_law(proc, EnumeratedCategorical(p, proc), torch.tensor([1.0, 0.0], dtype=F64))
        product = p.sum((1, 2))[:, None, None] * p.sum((0, 2))[None, :, None] * p.sum((0, 1))[None, None, :]
        assert torch.allclose(law, product.reshape(-1), atol=1e-14)


@pytest.mark.parametrize("proc", PROCS, ids=IDS)
def test_ancestral_law_converges_at_first_order(proc) -> None:
    p = dna_joint()
    oracle = EnumeratedCategorical(p, proc)
    errors = [
        tv(ancestral_law(proc, oracle, sciddiff.solvers.uniform_t(proc, n)), p.reshape(-1)) for n in (16, 64, 256)
    ]
    assert errors[2] < 4e-3
    assert 3.0 < errors[0] / errors[1] < 5.5 and 3.0 < errors[1] / errors[2] < 5.0


@pytest.mark.parametrize("proc", PROCS, ids=IDS)
def test_sample_draws_from_the_exact_ancestral_law(proc) -> None:
    p = dna_joint(1)
    oracle = EnumeratedCategorical(p, proc)
    n, steps = 6000, 5
    x = proc.prior_sample((n, L), torch.Generator().manual_seed(0))
    out, info = sciddiff.sample(
        oracle, proc, x, "ancestral", steps, generator=torch.Generator().manual_seed(1), return_info=True
    )
    assert info.nfe == steps and info.solver == "ancestral" and bool((out < K).all())
    law = ancestral_law(proc, oracle, sciddiff.solvers.uniform_t(proc, steps))
    assert tv(law, p.reshape(-1)) > 0.035  # few steps: the law is visibly not the data law ...
    assert chi2_pvalue(out, oracle, law) > 1e-3  # ... and the sampler draws from it exactly


def test_first_hitting_reproduces_the_data_law() -> None:
    p = dna_joint(2)
    proc = MaskedProcess(K, "cosine")
    oracle = EnumeratedCategorical(p, proc)
    n = 8000
    x = proc.prior_sample((n, L), torch.Generator().manual_seed(0))
    out, info = sciddiff.sample(
        oracle, proc, x, "first_hitting", generator=torch.Generator().manual_seed(3), return_info=True
    )
    assert info.nfe == L and info.grid.shape == (n, L + 1)
    assert chi2_pvalue(out, oracle, p.reshape(-1)) > 1e-3


def test_first_hitting_event_times_are_order_statistics() -> None:
    """Linear schedule: the unmasking times are L independent U(0, 1) times, so the first event (from t = 1)
    is their maximum, P(tau_1 <= u) = u^L, and the last is their minimum, P(tau_L <= u) = 1 - (1 - u)^L."""
    proc = MaskedProcess(K)
    oracle = EnumeratedCategorical(dna_joint(), proc)
    x = proc.prior_sample((4000, L))
    _, info = sciddiff.sample(
        oracle, proc, x, "first_hitting", generator=torch.Generator().manual_seed(4), return_info=True
    )
    first, last = info.grid[:, 1].numpy(), info.grid[:, L].numpy()
    assert scipy.stats.kstest(first, lambda u: u**L).pvalue > 1e-3
    assert scipy.stats.kstest(last, lambda u: 1 - (1 - u) ** L).pvalue > 1e-3
    assert bool((info.grid[:, 1:] <= info.grid[:, :-1]).all())


@pytest.mark.parametrize("solver", ["ancestral", "first_hitting"])
def test_batch_invariance_with_per_sample_seeds(solver: str) -> None:
    proc = MaskedProcess(K)
    oracle = EnumeratedCategorical(dna_joint(), proc)
    x = proc.prior_sample((6, L))
    together = sciddiff.sample(oracle, proc, x, solver, 8, generator=11)
    alone = torch.cat(
        [sciddiff.sample(oracle, proc, x[i : i + 1], solver, 8, generator=[derive_seed(11, i)]) for i in range(6)]
    )
    assert torch.equal(together, alone)


def test_padding_is_left_alone_and_first_hitting_counts_real_entries() -> None:
    proc = MaskedProcess(K)
    oracle = EnumeratedCategorical(dna_joint(), proc)
    spec = StateSpec({"x": LeafSpec((L,), "categorical", K)}, is_tensor=True)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    x = torch.tensor([[K, K, 1], [K, 2, 3]])  # padding holds 1 and 2, 3; one real entry of row 1 is revealed
    out, info = sciddiff.sample(
        oracle, proc, x, "first_hitting", spec=spec.with_masks(mask), generator=0, return_info=True
    )
    assert info.nfe == 2 and out[0, 2] == 1 and out[1].tolist()[1:] == [2, 3] and bool((out < K).all())
    out, info = sciddiff.sample(
        oracle, proc, x, "ancestral", 5, spec=spec.with_masks(mask), generator=0, return_info=True
    )
    assert info.nfe == 5 and out[0, 2] == 1 and out[1].tolist()[1:] == [2, 3] and bool((out < K).all())


def test_schedule_ending_short_of_clean_adds_one_final_draw() -> None:
    """With alpha(t_min) < 1 some entries are still masked at t_min; the final evaluation draws them."""
    proc = MaskedProcess(K, LogSNRSchedule(VP(), shift=-9.0))  # alpha(t_min) = sigmoid(9.1 - 9) = 0.52
    oracle = EnumeratedCategorical(dna_joint(), proc)
    x = proc.prior_sample((200, L))
    out, info = sciddiff.sample(oracle, proc, x, "ancestral", 4, generator=0, return_info=True)
    assert info.nfe == 5 and bool((out < K).all())
    kept, info = sciddiff.sample(oracle, proc, x, "ancestral", 4, generator=0, denoise_final=False, return_info=True)
    assert info.nfe == 4 and bool((kept == K).any())


def test_categorical_sampling_errors_name_the_problem() -> None:
    proc = MaskedProcess(K)
    oracle = EnumeratedCategorical(dna_joint(), proc)
    x = proc.prior_sample((3, L))
    with pytest.raises(ValueError, match=r"categorical-only states are sampled with one of .*got solver 'dpmpp_2m'"):
        sciddiff.sample(oracle, proc, x, "dpmpp_2m", 4)
    with pytest.raises(ValueError, match="grid 'karras' needs a Gaussian process"):
        sciddiff.sample(oracle, proc, x, "ancestral", 4, grid="karras")
    with pytest.raises(ValueError, match="first_hitting samples masked processes only"):
        sciddiff.sample(
            EnumeratedCategorical(dna_joint(), UniformProcess(K)), UniformProcess(K), x % K, "first_hitting"
        )
    with pytest.raises(ValueError, match=r"holds states in \[5, 5\]; its process has states 0..4"):
        sciddiff.sample(oracle, proc, x + 1, "ancestral", 4)
    with pytest.raises(ValueError, match="must hold integer states"):
        sciddiff.sample(oracle, proc, x.double(), "ancestral", 4)
    with pytest.raises(ValueError, match="must return a Prediction with logits"):
        sciddiff.sample(lambda z, t: z, proc, x, "ancestral", 4)
    nan = Prediction(None, logits={"x": torch.full((3, L, K), float("nan"))})
    with pytest.raises(ValueError, match="NaN logits"):
        sciddiff.sample(lambda z, t: nan, proc, x, "ancestral", 4)
