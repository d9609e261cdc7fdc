"""The single posterior-sampling entry point, and the method registry."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from sciddiff.denoisers import Cost, CountingDenoiser
from sciddiff.guidance.base import DenoiserTransform, Method, PosteriorSampler
from sciddiff.guidance.ddnm import DDNM
from sciddiff.guidance.ddrm import DDRM
from sciddiff.guidance.diffpir import DiffPIR
from sciddiff.guidance.dps import DPS
from sciddiff.guidance.enkg import EnKG
from sciddiff.guidance.loop import Loop
from sciddiff.guidance.mmps import MMPS
from sciddiff.guidance.observation import Observation
from sciddiff.guidance.pigdm import PiGDM
from sciddiff.guidance.reddiff import REDDiff
from sciddiff.guidance.repaint import RePaint
from sciddiff.guidance.smc import SMC, systematic_resample
from sciddiff.operators import CountingOperator, Matrix, Operator, as_noise_model, noise_kind
from sciddiff.processes import Process
from sciddiff.solvers import Schedule, build_grid, sample
from sciddiff.state import NoiseSource, derive_seed

METHODS: dict[str, type[Method]] = {
    cls.name: cls for cls in (DPS, PiGDM, MMPS, DiffPIR, DDRM, DDNM, REDDiff, RePaint, EnKG, SMC)
}


@dataclass
class PosteriorInfo:
    """Cost (batched network evaluations, VJPs, JVPs, operator calls), evaluations per returned sample (for
    particles: all particles' evaluations over the samples drawn), ESS trace, warnings, timing."""

    method: str
    cost: Cost
    nfe_per_sample: float
    seconds: float
    ess: Tensor | None = None
    warnings: list[str] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)


def get_method(name: str | Method, **options: Any) -> Method:
    """A guidance method instance from its registered name and options."""
    if isinstance(name, Method):
        if options:
            raise ValueError(f"options {sorted(options)} given together with a method instance; set them on it")
        return name
    if name not in METHODS:
        raise ValueError(f"unknown posterior method {name!r}; choose one of {sorted(METHODS)}")
    try:
        return METHODS[name](**options)
    except TypeError as err:
        raise ValueError(f"bad options {sorted(options)} for method {name!r}: {err}") from None


def _check(method: Method, op: Operator, y: Tensor, kind: str, std_is_zero: bool, n_samples: int) -> None:
    req, name = method.requirements, method.name
    if tuple(y.shape) != tuple(op.out_shape):
        raise ValueError(
            f"y has shape {tuple(y.shape)}; operator {op!r} expects {tuple(op.out_shape)} "
            "(one observation, without a batch axis)"
        )
    if not bool(torch.isfinite(y).all()):
        raise ValueError("y contains NaN or inf; mark missing values with a Mask operator that leaves them out")
    needs = {
        "forward": True,
        "differentiable": op.differentiable,
        "linear": op.linear,
        "svd": op.linear and bool(getattr(op, "has_svd", False)),
    }
    if not needs[req.operator]:
        hint = " (use op.with_dense_svd() for a small linear operator)" if req.operator == "svd" and op.linear else ""
        raise ValueError(
            f"method {name!r} needs a {req.operator} operator, but {op!r} is "
            f"{'linear without an SVD' if op.linear else 'not linear' if op.differentiable else 'forward-only (black box)'}{hint}"
        )
    if kind not in req.noise:
        raise ValueError(f"method {name!r} supports noise models {list(req.noise)}, got a {kind} noise model")
    if std_is_zero and not req.zero_noise:
        raise ValueError(f"method {name!r} needs noise_std > 0 (its likelihood is undefined for exact data)")
    if req.coupling == "ensemble" and n_samples < 2:
        raise ValueError(
            f"method {name!r} evolves the samples as one ensemble and needs n_samples >= 2, got {n_samples}"
        )


def posterior_sample(
    denoiser: Any,
    process: Process,
    operator: Operator | Tensor,
    y: Tensor,
    noise_std: Any,
    method: str | Method = "smc",
    steps: int = 100,
    n_samples: int = 1,
    *,
    solver: str | None = None,
    grid: object = "karras",
    generator: object = None,
    return_info: bool = False,
    progress: bool = False,
    **options: Any,
) -> Tensor | tuple[Tensor, PosteriorInfo]:
    """Draw ``n_samples`` samples of p(x0 | y) for y = A(x0) + noise, with a diffusion prior ``denoiser``.

    - ``operator``: a sciddiff operator, or an (m, d) tensor (a dense matrix).
    - ``y``: one observation shaped ``operator.out_shape`` (no batch axis).
    - ``noise_std``: a number, a tensor broadcastable to y, or a noise model object.
    - ``method``: smc (default: asymptotically exact, the best calibrated in BENCHMARKS.md), dps, pigdm, mmps,
      diffpir (denoiser transforms, integrated by ``solver``, default per method), ddrm, ddnm, reddiff, repaint,
      enkg (own loops). Options go to the method (e.g. ``n_particles`` for
      smc, which defaults to n_samples; the samples are drawn from the final weighted particles).
    - ``generator``: None, a torch.Generator or an int seed (per-sample streams).

    Returns (n_samples, *operator.in_shape); ``return_info=True`` adds a :class:`PosteriorInfo`. Every input is
    validated before anything is computed.
    """
    if not isinstance(process, Process):
        raise ValueError(f"process must be a sciddiff Process, got {process!r}")
    m = get_method(method, **options)
    op = Matrix(operator) if isinstance(operator, Tensor) else operator
    if not isinstance(op, Operator):
        raise ValueError(f"operator must be a sciddiff Operator or an (m, d) tensor, got {type(operator).__name__}")
    if not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    y = torch.as_tensor(y)
    y = y if y.is_floating_point() else y.to(torch.get_default_dtype())
    noise = as_noise_model(noise_std, op.out_shape)
    kind = noise_kind(noise)
    _check(m, op, y, kind, kind == "scalar" and float(noise.std.reshape(-1)[0]) == 0.0, n_samples)
    if solver is not None and not isinstance(m, DenoiserTransform):
        raise ValueError(f"method {m.name!r} runs its own loop; it takes no solver")

    start = time.perf_counter()
    cost = Cost()
    counted = CountingDenoiser(denoiser, cost)
    obs = Observation(CountingOperator(op, cost), y, noise, kind)
    batch = (m.n_particles or n_samples) if isinstance(m, SMC) else n_samples
    prior_seed, loop_seed = generator, generator
    if isinstance(generator, int):
        loop_seed = derive_seed(generator, 1 << 40)
    x = process.prior_sample((batch, *op.in_shape), generator=prior_seed, dtype=y.dtype, device=y.device)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if isinstance(m, DenoiserTransform):
            out = sample(
                m.guided(counted, process, obs, cost),
                process,
                x,
                solver or m.default_solver,
                steps,
                grid=grid,
                generator=loop_seed,
                progress=progress,
            )
            diag: dict[str, Any] = {}
        else:
            assert isinstance(m, PosteriorSampler)
            sched = Schedule.build(process, build_grid(process, steps, grid, 1, x.device))
            noise_source = NoiseSource.of(loop_seed, batch, x.device)
            out, diag = m.run(Loop(counted, process, obs, x, sched, cost, noise_source, progress))
        if isinstance(m, SMC):
            out = _draw(out, diag["log_weights"], n_samples, loop_seed)
        _check_residuals(op, y, noise, out, kind)
    for w in record:
        caught.append(str(w.message))
        warnings.warn(w.message, w.category, stacklevel=2)
    info = PosteriorInfo(
        m.name,
        cost,
        cost.nfe * batch / n_samples if m.requirements.coupling == "particles" else float(cost.nfe),
        time.perf_counter() - start,
        diag.get("ess"),
        caught,
        diag,
    )
    return (out, info) if return_info else out


def _draw(particles: Tensor, log_w: Tensor, n: int, seed: object) -> Tensor:
    """n draws from the weighted particle set (duplicates possible): a systematic resample, in random order.

    Systematic resampling keeps every particle of weight w about n w times (within one), so uniformly weighted
    particles come back once each; independent multinomial draws would repeat about a third of them and drop
    as many, doubling the Monte Carlo error of the returned set. Douc, Cappe & Moulines, "Comparison of
    resampling schemes for particle filtering" (2005), arXiv:cs/0507025.
    """
    gen = seed if isinstance(seed, torch.Generator) else None
    if isinstance(seed, int):
        gen = torch.Generator(device=particles.device).manual_seed(derive_seed(seed, 1 << 41))
    u = float(torch.rand((), generator=gen, dtype=torch.float64))
    order = torch.randperm(n, generator=gen, device=particles.device)
    return particles[systematic_resample(log_w, u, n)[order]]


def _check_residuals(op: Operator, y: Tensor, noise: Any, x: Tensor, kind: str) -> None:
    """Warn when the samples' residuals are far larger than the noise level (median reduced chi-square > 4)."""
    if kind == "poisson" or (kind == "scalar" and float(noise.std.reshape(-1)[0]) == 0.0):
        return
    with torch.no_grad():
        r = y.unsqueeze(0) - op(x)
        chi2 = (r * noise.solve(r)).reshape(x.shape[0], -1).sum(1) / r[0].numel()
    med = float(chi2.median())
    if med > 4.0:
        warnings.warn(
            f"posterior samples leave residuals far above the noise level: median reduced chi-square "
            f"{med:.1f} (about 1 expected)",
            RuntimeWarning,
            stacklevel=3,
        )
