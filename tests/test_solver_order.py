"""Every deterministic solver converges at its theoretical order to the exact probability-flow solution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sciddiff
from sciddiff.processes import EDM, VP, Flow
from tests.oracles import F64, PROCESSES, reference_ode, rms, smooth_mixture

STEPS = [12, 24, 48]
CASES = [
    ("ddim", {}, 1),
    ("euler", {}, 1),
    ("heun", {}, 2),
    ("dpmpp_2m", {}, 2),
    ("dpmpp_2m_sde", {"eta": 0.0}, 2),
    ("dpmpp_3m", {}, 3),
    ("unipc", {"order": 1}, 2),
    ("unipc", {}, 3),
]


def empirical_order(errors: list[float]) -> float:
    """Least-squares slope of -log(error) against log(steps)."""
    return float(-np.polyfit(np.log(STEPS), np.log(errors), 1)[0])


@pytest.fixture(scope="module")
def problems() -> dict:
    mix = smooth_mixture()
    out = {}
    for process in PROCESSES:
        x = process.prior_sample((24, 2), generator=7, dtype=F64)
        out[type(process).__name__] = (process, mix, x, reference_ode(mix, process, x, process.t_max, process.t_min))
    return out


@pytest.mark.parametrize("name,options,order", CASES, ids=[f"{c[0]}{c[1] or ''}" for c in CASES])
@pytest.mark.parametrize("process_name", ["VP", "VPCosine", "VE", "EDM", "Flow"])
def test_order_uniform_logsnr(problems: dict, name: str, options: dict, order: int, process_name: str) -> None:
    process, mix, x, ref = problems[process_name]
    errors = [
        rms(
            sciddiff.sample(
                mix.denoiser(process), process, x, name, n, grid="uniform_logsnr", denoise_final=False, **options
            ),
            ref,
        )
        for n in STEPS
    ]
    measured = empirical_order(errors)
    assert abs(measured - order) < 0.35, f"{name} {options} on {process_name}: errors {errors}, order {measured:.2f}"


@pytest.mark.parametrize("name,options,order", CASES[2:6], ids=[c[0] for c in CASES[2:6]])
def test_order_karras_grid(problems: dict, name: str, options: dict, order: int) -> None:
    """The order holds on the default Karras grid too (a different grid family)."""
    process, mix, x, ref = problems["EDM"]
    errors = [
        rms(sciddiff.sample(mix.denoiser(process), process, x, name, n, denoise_final=False, **options), ref)
        for n in (24, 48, 96)
    ]
    measured = float(-np.polyfit(np.log([24, 48, 96]), np.log(errors), 1)[0])
    assert abs(measured - order) < 0.4, f"{name}: errors {errors}, order {measured:.2f}"


@pytest.mark.parametrize("process", [VP(), EDM(), Flow()], ids=["VP", "EDM", "Flow"])
def test_rk45_meets_tolerance(process: object) -> None:
    mix = smooth_mixture()
    x = process.prior_sample((16, 2), generator=3, dtype=F64)
    ref = reference_ode(mix, process, x, process.t_max, process.t_min)
    errs = []
    for tol in (1e-4, 1e-7):
        out, info = sciddiff.sample(
            mix.denoiser(process), process, x, "rk45", denoise_final=False, rtol=tol, atol=tol, return_info=True
        )
        errs.append(rms(out, ref))
        assert errs[-1] < 100 * tol
        assert (info.stats["accepted"] > 0).all()
    assert errs[1] < errs[0] / 30


def test_final_denoise_matches_exact_flow_map() -> None:
    """With the final denoise the output approximates the exact flow map to s = 0 (D applied at t_min)."""
    process, mix = EDM(), smooth_mixture()
    x = process.prior_sample((16, 2), generator=5, dtype=F64)
    ref = reference_ode(mix, process, x, process.t_max, process.t_min)
    ref_out = mix.denoiser(process)(ref, torch.full((16,), process.t_min, dtype=F64)).mean
    errors = [rms(sciddiff.sample(mix.denoiser(process), process, x, "dpmpp_3m", n), ref_out) for n in (50, 200)]
    assert errors[1] < 1e-4 and errors[1] < errors[0] / 20
