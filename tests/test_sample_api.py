"""The public sampling contract: NFE accounting, batch invariance, dtypes, grids, structured states, errors."""

from __future__ import annotations

import math

import pytest
import torch

import sciddiff
from sciddiff.processes import EDM, VP, Flow, get_process
from sciddiff.state import StateSpec, ZeroCenterOfMass, derive_seed
from tests.oracles import F64, reference_ode, rms, smooth_mixture

NFE = {  # evaluations while integrating, for `steps` intervals; the final denoise adds one
    "ddpm": lambda n: n,
    "ddim": lambda n: n,
    "euler": lambda n: n,
    "heun": lambda n: 2 * n - 1,
    "dpmpp_2m": lambda n: n,
    "dpmpp_3m": lambda n: n + 1,
    "dpmpp_2m_sde": lambda n: n,
    "unipc": lambda n: n,
    "em": lambda n: n,
    "pc": lambda n: 2 * n,
}


@pytest.fixture(scope="module")
def setup() -> tuple:
    process, mix = VP(), smooth_mixture()
    return process, mix, mix.denoiser(process)


def test_solver_registry_is_complete() -> None:
    assert set(sciddiff.SOLVERS) == set(NFE) | {"rk45"}


@pytest.mark.parametrize("name", sorted(NFE))
@pytest.mark.parametrize("final", [True, False])
def test_nfe_is_counted_and_documented(setup: tuple, name: str, final: bool) -> None:
    process, _, den = setup
    calls = []

    def counted(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return den(x, t).mean

    x = process.prior_sample((4, 2), generator=0, dtype=F64)
    for steps in (1, 2, 7):
        calls.clear()
        _, info = sciddiff.sample(counted, process, x, name, steps, generator=0, denoise_final=final, return_info=True)
        assert info.nfe == len(calls) == NFE[name](steps) + int(final)
        assert info.grid.shape == (1, steps + 1) and info.steps == steps
        assert sciddiff.SOLVERS[name]().nfe(steps) == NFE[name](steps)


def test_rk45_ignores_steps_and_reports_nfe(setup: tuple) -> None:
    process, _, den = setup
    x = process.prior_sample((4, 2), generator=0, dtype=F64)
    a, info_a = sciddiff.sample(den, process, x, "rk45", 3, return_info=True)
    b, info_b = sciddiff.sample(den, process, x, "rk45", 50, return_info=True)
    assert torch.equal(a, b) and info_a.nfe == info_b.nfe > 20


@pytest.mark.parametrize("name", ["ddpm", "em", "pc", "dpmpp_2m_sde", "euler", "dpmpp_2m", "rk45"])
def test_batch_invariance(setup: tuple, name: str) -> None:
    """Eight samples drawn at once equal the same eight drawn one by one (per-sample seeds)."""
    process, _, den = setup
    x = process.prior_sample((8, 2), generator=5, dtype=F64)
    options = {"churn": 5.0} if name == "euler" else {}
    together = sciddiff.sample(den, process, x, name, 6, generator=123, **options)
    alone = torch.cat(
        [
            sciddiff.sample(den, process, x[i : i + 1], name, 6, generator=[derive_seed(123, i)], **options)
            for i in range(8)
        ]
    )
    assert torch.allclose(together, alone, rtol=0, atol=1e-12)
    again = sciddiff.sample(den, process, x, name, 6, generator=123, **options)
    assert torch.equal(together, again)


def test_prior_sample_batch_invariant() -> None:
    process = EDM()
    big = process.prior_sample((6, 3), generator=9)
    assert torch.equal(big[4:5], process.prior_sample((1, 3), generator=[derive_seed(9, 4)]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_preserved_and_input_untouched(setup: tuple, dtype: torch.dtype) -> None:
    process, mix, _ = setup

    def den(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        assert x.dtype == dtype and t.dtype == dtype and t.shape == (x.shape[0],)
        return mix.denoiser(process)(x, t).mean

    x = process.prior_sample((5, 2), generator=1, dtype=dtype)
    before = x.clone()
    out = sciddiff.sample(den, process, x, "dpmpp_3m", 8)
    assert out.dtype == dtype and out.device == x.device and torch.equal(x, before)
    ref = sciddiff.sample(mix.denoiser(process), process, x.to(F64), "dpmpp_3m", 8)
    assert rms(out.to(F64), ref) < (1e-5 if dtype == torch.float32 else 1e-13)


def test_user_grid_and_per_sample_grid(setup: tuple) -> None:
    """A (B, steps+1) grid runs each sample on its own grid, exactly as separate runs would."""
    process, _, den = setup
    x = process.prior_sample((3, 2), generator=2, dtype=F64)
    grids = torch.stack(
        [
            sciddiff.solvers.uniform_t(process, 6),
            sciddiff.solvers.uniform_logsnr(process, 6),
            sciddiff.solvers.Karras(rho=3.0)(process, 6),
        ]
    )
    together = sciddiff.sample(den, process, x, "unipc", grid=grids, steps=None)
    for i in range(3):
        alone = sciddiff.sample(den, process, x[i : i + 1], "unipc", grid=grids[i], steps=None)
        assert torch.allclose(together[i : i + 1], alone, atol=1e-13)


def test_grid_starting_below_t_max(setup: tuple) -> None:
    """x is taken at the grid's first time; the result follows the exact ODE from there."""
    process, mix, den = setup
    ends = process.log_snr(torch.tensor([0.5, process.t_min], dtype=F64))
    grid = process.t_of_log_snr(torch.linspace(float(ends[0]), float(ends[1]), 201, dtype=F64))
    grid[0], grid[-1] = 0.5, process.t_min
    x = process.add_noise(mix.sample(6, generator=3, dtype=F64), 0.5, torch.randn(6, 2, dtype=F64))
    out = sciddiff.sample(den, process, x, "dpmpp_3m", grid=grid, steps=None, denoise_final=False)
    assert rms(out, reference_ode(mix, process, x, 0.5, process.t_min)) < 3e-6


def test_dict_state_with_zero_centre_of_mass() -> None:
    """A mapping state with a constrained leaf: noise and outputs stay in the constraint subspace."""
    process = EDM()
    spec = StateSpec(
        {
            "pos": sciddiff.state.LeafSpec((5, 3), constraints=(ZeroCenterOfMass(),)),
            "h": sciddiff.state.LeafSpec((5, 2)),
        }
    )
    x = {
        "pos": spec.project(spec.noise_like({"pos": torch.zeros(4, 5, 3), "h": torch.zeros(4, 5, 2)}, generator=1))[
            "pos"
        ]
        * 80,
        "h": torch.randn(4, 5, 2) * 80,
    }

    def den(state: dict, t: torch.Tensor) -> dict:
        return {"pos": state["pos"] * 0.3 + 1.0, "h": state["h"] * 0.1}

    out = sciddiff.sample(den, process, x, "ddpm", 5, spec=spec, generator=0)
    assert set(out) == {"pos", "h"} and out["pos"].shape == (4, 5, 3)
    assert out["pos"].sum(1).abs().max() < 1e-4
    assert out["h"].abs().sum() > 0


def test_masked_entries_stay_zero() -> None:
    process = VP()
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]], dtype=torch.bool)
    spec = StateSpec.tensor((3,)).with_masks(mask)
    x = spec.project(process.prior_sample((2, 3), generator=1))
    out = sciddiff.sample(lambda z, t: z * 0.5 + 0.2, process, x, "em", 6, spec=spec, generator=0)
    assert torch.equal(out[~mask], torch.zeros(3)) and (out[mask] != 0).all()


def test_optimized_grid_through_sample(setup: tuple) -> None:
    process, mix, den = setup
    x = process.prior_sample((64, 2), generator=4, dtype=F64)
    ref = mix.denoiser(process)(
        reference_ode(mix, process, x, process.t_max, process.t_min), torch.full((64,), process.t_min, dtype=F64)
    ).mean
    base = sciddiff.sample(den, process, x, "dpmpp_2m", 5)
    tuned, info = sciddiff.sample(den, process, x, "dpmpp_2m", 5, grid="optimized", return_info=True)
    assert info.nfe == 6 and info.stats["grid_tuning_nfe"] > 0
    assert rms(tuned, ref) < 0.8 * rms(base, ref)


# ---------------------------------------------------------------------------------------------- errors
def test_errors_name_the_problem(setup: tuple) -> None:
    process, _, den = setup
    x = process.prior_sample((3, 2), generator=0)
    bad = x.clone()
    bad[1, 0] = math.nan
    with pytest.raises(ValueError, match="non-finite"):
        sciddiff.sample(den, process, bad)
    with pytest.raises(ValueError, match="unknown solver 'dpm9'"):
        sciddiff.sample(den, process, x, "dpm9")
    with pytest.raises(ValueError, match="unknown process 'vq'"):
        get_process("vq")
    with pytest.raises(ValueError, match="steps must be an integer >= 1, got 0"):
        sciddiff.sample(den, process, x, "ddim", 0)
    with pytest.raises(ValueError, match=r"shape \(3, 1\).*\(3, 2\)"):
        sciddiff.sample(lambda z, t: z[:, :1], process, x, "ddim", 3)
    with pytest.raises(ValueError, match=r"t_min, t_max\] = \[0.001, 1\]"):
        sciddiff.sample(den, process, x, "ddim", grid=torch.tensor([1.5, 0.5, 0.001]), steps=None)
    with pytest.raises(ValueError, match="decrease strictly"):
        sciddiff.sample(den, process, x, "ddim", grid=torch.tensor([0.5, 0.7, 0.001]), steps=None)
    with pytest.raises(ValueError, match="bad options"):
        sciddiff.sample(den, process, x, "ddim", 3, churn=1.0)
    with pytest.raises(ValueError, match="Process"):
        sciddiff.sample(den, "vp", x)


def test_nan_mid_sampling_names_step_and_t() -> None:
    process = Flow()
    grid = sciddiff.solvers.uniform_t(process, 6)

    def den(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        out = x * 0.5
        return torch.where(t[:, None] < 0.6, torch.full_like(out, math.nan), out)

    first_bad = int((grid < 0.6).nonzero()[0])
    with pytest.raises(ValueError, match=rf"step {first_bad} \(t = {float(grid[first_bad]):.6g}\)"):
        sciddiff.sample(den, process, process.prior_sample((2, 2), generator=0), "dpmpp_2m", grid=grid, steps=None)
