"""Float64 Gumbel-max sampling, and why: low-precision uniforms silently lower the temperature.

Setting (Zheng et al., arXiv:2409.02908, Sec. 5): one masked entry in one ancestral step unmasks with a small
probability eps into a token drawn from p; the categorical over {tokens: eps p, stay masked: 1 - eps} is sampled
by Gumbel-max. With uniforms on a lattice of 2^-b the Gumbel noise is capped near b log 2, so rare tokens, whose
log-odds against "stay masked" lie beyond the cap, are under-drawn and the token entropy drops.

The law of argmax(log p + G) with every uniform on the lattice is computed exactly by counting lattice points;
Monte Carlo through ``gumbel_argmax`` confirms it on an 8-bit lattice, where the effect is visible with 10^5
draws. On float32's 24-bit lattice the same exact count shows the entropy drop at eps = 1e-6; the library's
sampler draws float64 uniforms, whose cap (36.7) is out of reach.
"""

from __future__ import annotations

import math

import scipy.stats
import torch

from sciddiff.processes import gumbel, gumbel_argmax, sample_logits
from sciddiff.state import NoiseSource

F64 = torch.float64
P_TOKENS = torch.tensor([0.7, 0.2, 0.05, 0.05], dtype=F64)


def step_log_probs(eps: float) -> torch.Tensor:
    """log of (eps p_1, ..., eps p_4, 1 - eps): four tokens, then 'stay masked'."""
    return torch.cat([torch.log(eps * P_TOKENS), torch.log1p(torch.tensor([-eps], dtype=F64))])


def entropy(q: torch.Tensor) -> float:
    return float(-(q * q.log()).sum())


def lattice_gumbels(bits: int, dtype: torch.dtype) -> torch.Tensor:
    """gumbel(u) for every lattice uniform u = m 2^-bits, computed in ``dtype`` (sorted; the first is -inf)."""
    u = torch.arange(2**bits, dtype=dtype) / 2**bits
    return gumbel(u).to(F64)


def lattice_law(log_probs: torch.Tensor, g: torch.Tensor, tail_only: bool = False) -> torch.Tensor:
    """Exact law of argmax_c(log_probs_c + g[M_c]), M_c iid uniform over the lattice, ties to the first index.

    P(c) = mean_m prod_{j != c} P(log_probs_j + g[M_j] </<= log_probs_c + g[m]), each factor a count of lattice
    points. With ``tail_only`` (for large lattices) the last class (stay masked) gets 1 - sum of the others, and
    a token's sum runs over the lattice points where it can beat that class at a finite value; elsewhere only the
    stay class' u = 0 (g = -inf, probability 2^-b) lets the token win, and it then wins among the tokens with its
    continuous probability (the lattice changes that by O(2^-b), i.e. O(2^-2b) in P(c)).
    """
    n, classes = len(g), len(log_probs)
    out = []
    for c in range(classes - 1 if tail_only else classes):
        values = log_probs[c] + g
        if tail_only:
            values = values[values > log_probs[-1] + g[1]]
        prod = torch.ones_like(values)
        for j in range(classes):
            if j != c:
                side = "left" if j < c else "right"
                prod = prod * torch.searchsorted(g, values - log_probs[j], side=side).to(F64) / n
        total = prod.sum() / n
        if tail_only:
            tokens = log_probs[:-1].exp()
            total = total + tokens[c] / tokens.sum() / n
        out.append(total)
    if tail_only:
        out.append(1.0 - torch.stack(out).sum())
    return torch.stack(out)


def test_exact_lattice_law_matches_monte_carlo_through_gumbel_argmax_on_8_bits() -> None:
    eps, n = 0.1, 100_000
    lp = step_log_probs(eps)
    u = torch.floor(torch.rand(n, 5, generator=torch.Generator().manual_seed(0), dtype=F64) * 256) / 256
    counts = torch.bincount(gumbel_argmax(lp.expand(n, 5), u), minlength=5).double()
    law = lattice_law(lp, lattice_gumbels(8, F64))
    assert abs(float(law.sum()) - 1.0) < 1e-6  # exact up to ties broken by rounding in values - log_probs_j
    assert scipy.stats.chisquare(counts.numpy(), (law * n).numpy()).pvalue > 1e-3
    assert scipy.stats.chisquare(counts.numpy(), (lp.exp() * n).numpy()).pvalue < 1e-8  # not the exact law
    tokens = counts[:4] / counts[:4].sum()
    assert entropy(tokens) < entropy(P_TOKENS) - 0.05  # fewer rare tokens: a lower temperature


def test_float32_uniforms_lower_the_token_entropy_and_float64_uniforms_reach_far_beyond() -> None:
    # torch's float32 uniforms are multiples of 2^-24, so their Gumbel values are capped at 16.64
    u32 = torch.rand(10_000, dtype=torch.float32, generator=torch.Generator().manual_seed(1)).double()
    assert bool(((u32 * 2**24) == torch.round(u32 * 2**24)).all())
    g32 = lattice_gumbels(24, torch.float32)
    assert abs(float(g32[-1]) - 16.6355) < 1e-3
    lp = step_log_probs(1e-6)  # rare tokens have log-odds -16.8 against staying masked: beyond the float32 cap
    law = lattice_law(lp, g32, tail_only=True)
    tokens = law[:4] / law[:4].sum()
    assert entropy(tokens) < entropy(P_TOKENS) - 0.1
    assert float(tokens[2] / P_TOKENS[2]) < 0.7  # the rarest tokens lose over 30% of their mass
    # float64 uniforms: the cap is -log(-log(1 - 2^-53)) = 36.7, 20 nats beyond these log-odds; the float64
    # sampler differs from exact Gumbel-max only when a uniform lands in the last lattice cell (p <= 5 * 2^-53)
    top = gumbel(torch.tensor(1.0 - 2.0**-53, dtype=F64))
    assert float(top) > 36.7 and float(top) - float(-lp[:4].min()) > 19.0


def test_the_sampler_draws_float64_uniforms_whatever_the_logits_dtype() -> None:
    """sample_logits equals argmax(logits + gumbel(u)) with u the float64 uniforms of the same per-sample streams."""
    logits = torch.randn(5, 7, 9, generator=torch.Generator().manual_seed(2))
    for dtype in (torch.float32, torch.bfloat16, F64):
        drawn = sample_logits(logits.to(dtype), NoiseSource(3, 5))
        ref_u = NoiseSource(3, 5).rand((7, 9), F64)
        assert ref_u.dtype == F64 and bool((ref_u * 2**24 != torch.round(ref_u * 2**24)).any())
        assert torch.equal(drawn, (logits.to(dtype).to(F64) + gumbel(ref_u)).argmax(-1))


def test_float64_sampling_reproduces_a_categorical_with_a_rare_class() -> None:
    probs = torch.tensor([0.9, 0.099, 0.001], dtype=F64)
    n = 200_000
    draws = sample_logits(torch.log(probs).expand(n, 3), NoiseSource(torch.Generator().manual_seed(4), n))
    counts = torch.bincount(draws, minlength=3).double()
    assert scipy.stats.chisquare(counts.numpy(), (probs * n).numpy()).pvalue > 1e-3
    assert math.isclose(float(counts[2]), 200.0, abs_tol=4 * math.sqrt(200.0))
