"""Third-party ("anchor") diffusion samplers driven by an exact denoiser.

Every anchor is a function ``run(den, eps, nfe) -> AnchorResult`` where ``den(y, s)`` is the
posterior mean E[x0 | y] in the scaled ("sigma-space") variable ``y = x / alpha = x0 + s * eps``,
``s = sigma / alpha``. Each adapter converts ``den`` into the model the library expects, starts the
library's own sampler from the provided standard-normal ``eps`` and reports the starting point
``(y_T, s_T)`` so the caller can compare against the exact probability-flow map down to ``s = 0``.

Conventions (all anchors run deterministically, in float64 wherever the library allows it):

* diffusers: DDPM-trained VP model, ``num_train_timesteps=1000``, linear betas 1e-4 -> 0.02
  (continuous VP with beta 0.1 -> 20). The model is queried at the noise level the scheduler
  itself assumes at that call: ``alphas_cumprod[t]`` for DDIM, ``scheduler.sigmas[step_index]``
  (VE sigma, ``alpha = 1 / sqrt(1 + sigma^2)``) for the sigma-based schedulers, so Karras
  schedules are evaluated at the exact Karras sigma and not at the rounded integer timestep.
  ``prediction_type="sample"`` is used (the x0-prediction is exactly what ``den`` returns; all
  schedulers used here are x0-based internally, so "epsilon" only adds a round trip).
  After ``set_timesteps`` the scheduler's schedule tensors are cast to float64 (same node values,
  float64 arithmetic). DPM-Solver and Euler still cast ``sample`` to float32 inside ``step``.
* azula: custom ``Schedule`` equal to the continuous VP (beta 0.1 -> 20) on ``t in [0, 1]``.
  Samplers integrate ``t: 1 -> 1e-3`` on azula's default uniform time grid; one final azula DDIM
  step ``1e-3 -> 0`` (a pure denoise, 1 NFE) brings the output to noise level 0, like the last
  step of the diffusers / k-diffusion samplers.
* k-diffusion: ``get_sigmas_karras(n, SIGMA_MIN, SIGMA_MAX)`` (+ trailing zero) with the range of
  the diffusers VP schedule; ``x_T = eps * sigma_max``; the model is ``den`` itself.

NFE: the step count is the largest one whose true number of ``den`` calls is <= the requested
``nfe`` (Heun-type samplers use 2n - 1 calls for n noise levels; azula adds one call for the final
denoise). ``AnchorResult.nfe`` is counted, not computed. :class:`NFETooSmall` is raised if even
the smallest run of an anchor needs more calls than requested. ``(y_T, s_T)`` is the point of the
first ``den`` call, which is the starting point of every sampler here.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import statistics
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

Den = Callable[[Tensor, Tensor], Tensor]
F64 = torch.float64

# Discrete DDPM training schedule (diffusers) and its continuous VP equivalent (azula).
NUM_TRAIN_TIMESTEPS = 1000
BETA_START, BETA_END = 1e-4, 0.02
BETA_MIN, BETA_MAX = 0.1, 20.0
AZULA_T_MIN = 1e-3
DIFFUSERS_VP: dict[str, Any] = {
    "num_train_timesteps": NUM_TRAIN_TIMESTEPS,
    "beta_schedule": "linear",
    "beta_start": BETA_START,
    "beta_end": BETA_END,
}


def _vp_sigma_range() -> tuple[float, float]:
    """VE sigma range ``sqrt(1/alphabar - 1)`` of the discrete VP schedule (t = 0 and t = 999)."""
    betas = torch.linspace(BETA_START, BETA_END, NUM_TRAIN_TIMESTEPS, dtype=F64)
    sigmas = torch.sqrt(1.0 / torch.cumprod(1.0 - betas, 0) - 1.0)
    return sigmas[0].item(), sigmas[-1].item()


SIGMA_MIN, SIGMA_MAX = _vp_sigma_range()  # ~0.0100, ~157


@dataclass
class AnchorResult:
    """Output of one anchor run."""

    name: str  # e.g. "diffusers DPM++2M (karras)"
    samples: Tensor  # [B, d] float64, the anchor's estimate of x at noise level 0
    y_T: Tensor  # [B, d] starting point in y = x / alpha space
    s_T: float  # starting noise level s = sigma / alpha
    nfe: int  # number of (batched) calls of `den`


AnchorFn = Callable[[Den, Tensor, int], AnchorResult]


class _CountedDenoiser:
    """Wraps ``den``: float64 casting, broadcasting of ``s`` to [B], call counting, first-call record."""

    def __init__(self, den: Den) -> None:
        self.den = den
        self.calls = 0
        self.y_first: Tensor | None = None
        self.s_first = float("nan")

    def __call__(self, y: Tensor, s: Tensor | float) -> Tensor:
        y = y.to(F64)
        s = torch.as_tensor(s, dtype=F64, device=y.device).reshape(-1).expand(y.shape[0]).contiguous()
        if self.calls == 0:  # every anchor's first call is at its starting point
            self.y_first, self.s_first = y.clone(), float(s[0])
        self.calls += 1
        return self.den(y, s)

    def result(self, name: str, samples: Tensor) -> AnchorResult:
        assert self.y_first is not None, "the anchor never called the denoiser"
        return AnchorResult(name, samples.to(F64), self.y_first, self.s_first, self.calls)


class NFETooSmall(ValueError):
    """Raised when an anchor cannot run with as few denoiser calls as requested."""


def _num_steps(name: str, nfe: int, per_step: int = 1, offset: int = 0, min_steps: int = 1) -> int:
    """Largest step count n whose NFE, ``per_step * n + offset``, does not exceed ``nfe``."""
    n = (nfe - offset) // per_step
    if n < min_steps:
        raise NFETooSmall(f"{name}: needs nfe >= {per_step * min_steps + offset}, got {nfe}")
    return n


# --------------------------------------------------------------------------------------------- diffusers


def _diffusers_to_float64(sched: Any) -> None:
    """Cast the schedule tensors (unchanged values) to float64 so the step coefficients are float64."""
    for attr in ("sigmas", "alphas_cumprod", "final_alpha_cumprod"):
        value = getattr(sched, attr, None)
        if isinstance(value, Tensor):
            setattr(sched, attr, value.to(F64))


def _diffusers_level(sched: Any, t: Tensor, discrete: bool) -> tuple[Tensor, Tensor]:
    """(alpha, s) the scheduler assumes for the model call at timestep ``t``."""
    if discrete:  # DDIM: alpha_t^2 = alphas_cumprod[t]
        abar = sched.alphas_cumprod[int(t)].to(F64)
        return abar.sqrt(), torch.sqrt((1.0 - abar) / abar)
    idx = sched.step_index if sched.step_index is not None else sched.begin_index
    s = sched.sigmas[idx].to(F64)  # VE sigma; VP alpha = 1 / sqrt(1 + s^2)
    return torch.rsqrt(1.0 + s**2), s


def diffusers_anchor(
    name: str, cls_name: str, config: dict[str, Any], *, heun: bool = False, discrete: bool = False
) -> AnchorFn:
    """Anchor for a diffusers scheduler ``cls_name`` configured on top of :data:`DIFFUSERS_VP`."""

    def run(den: Den, eps: Tensor, nfe: int) -> AnchorResult:
        import diffusers

        sched = getattr(diffusers, cls_name)(**DIFFUSERS_VP, **config)
        # Heun: 2 calls per noise level except the last one (Euler step to sigma = 0).
        sched.set_timesteps(_num_steps(name, nfe, 2, -1) if heun else _num_steps(name, nfe))
        _diffusers_to_float64(sched)
        if hasattr(sched, "set_begin_index"):
            sched.set_begin_index(0)
        counted = _CountedDenoiser(den)
        pred = sched.config.prediction_type

        def model(model_input: Tensor, t: Tensor) -> Tensor:
            alpha, s = _diffusers_level(sched, t, discrete)
            y = model_input.to(F64) / alpha  # model_input is the VP-scaled x
            x0 = counted(y, s)
            return x0 if pred == "sample" else (y - x0) / s

        x = eps.to(F64) * float(sched.init_noise_sigma)
        for t in sched.timesteps:
            x = sched.step(model(sched.scale_model_input(x, t), t), t, x).prev_sample
        return counted.result(name, x)

    return run


_KARRAS_ZERO = {"use_karras_sigmas": True, "final_sigmas_type": "zero", "prediction_type": "sample"}
_DPMPP = {"algorithm_type": "dpmsolver++", "solver_type": "midpoint", "lower_order_final": True}

DIFFUSERS_ANCHORS: dict[str, AnchorFn] = {
    name: diffusers_anchor(name, cls_name, cfg, **kw)
    for name, cls_name, cfg, kw in [
        (
            "diffusers DDIM",
            "DDIMScheduler",
            # Default "leading" spacing: the only one whose next timestep always equals DDIM's
            # prev_timestep = t - 1000 // n. It starts at t = (n - 1) * (1000 // n), so s_T depends
            # on n (25.7 at n = 5, 60.8 at n = 10). set_alpha_to_one: last step is a pure denoise.
            {
                "clip_sample": False,
                "set_alpha_to_one": True,
                "timestep_spacing": "leading",
                "prediction_type": "sample",
            },
            {"discrete": True},
        ),
        (
            "diffusers DPM++2M (karras)",
            "DPMSolverMultistepScheduler",
            {**_DPMPP, **_KARRAS_ZERO, "solver_order": 2},
            {},
        ),
        (
            "diffusers DPM++3M (karras)",
            "DPMSolverMultistepScheduler",
            {**_DPMPP, **_KARRAS_ZERO, "solver_order": 3},
            {},
        ),
        # Scheduler defaults (integer timesteps, "linspace" spacing); NaN for NFE >= 1000 (repeated t).
        (
            "diffusers DPM++2M (linspace)",
            "DPMSolverMultistepScheduler",
            {**_DPMPP, "solver_order": 2, "final_sigmas_type": "zero", "prediction_type": "sample"},
            {},
        ),
        # Steps uniform in log-SNR (DPM-Solver paper); UniPC has no `use_lu_lambdas`, but its
        # exponential VE sigmas are the same grid (log-SNR = -2 log sigma).
        (
            "diffusers DPM++2M (logSNR)",
            "DPMSolverMultistepScheduler",
            {
                **_DPMPP,
                "solver_order": 2,
                "use_lu_lambdas": True,
                "final_sigmas_type": "zero",
                "prediction_type": "sample",
            },
            {},
        ),
        ("diffusers UniPC-2 (karras)", "UniPCMultistepScheduler", {**_KARRAS_ZERO, "solver_order": 2}, {}),
        ("diffusers UniPC-3 (karras)", "UniPCMultistepScheduler", {**_KARRAS_ZERO, "solver_order": 3}, {}),
        (
            "diffusers UniPC-3 (logSNR)",
            "UniPCMultistepScheduler",
            {
                "use_exponential_sigmas": True,
                "final_sigmas_type": "zero",
                "prediction_type": "sample",
                "solver_order": 3,
            },
            {},
        ),
        ("diffusers Euler (karras)", "EulerDiscreteScheduler", dict(_KARRAS_ZERO), {}),
        (
            "diffusers Heun (karras)",
            "HeunDiscreteScheduler",
            {"use_karras_sigmas": True, "prediction_type": "sample"},
            {"heun": True},
        ),
    ]
}


# ------------------------------------------------------------------------------------------------- azula


@functools.cache
def _azula_types() -> tuple[type, type]:
    """Build (schedule, denoiser) classes lazily so that importing this module never needs azula."""
    from azula.denoise import Denoiser, DiracPosterior
    from azula.noise import Schedule

    class VPLinearSchedule(Schedule):
        """Continuous VP with beta 0.1 -> 20 on t in [0, 1].

        log alpha(t) = -(BETA_MIN t + (BETA_MAX - BETA_MIN) t^2 / 2) / 2 and sigma^2 = 1 - alpha^2.
        """

        def __call__(self, t: Tensor) -> tuple[Tensor, Tensor]:
            log_alpha = -0.5 * (BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t**2)
            return log_alpha.exp(), torch.sqrt(-torch.expm1(2.0 * log_alpha))

    class ExactDenoiser(Denoiser):
        """azula denoiser computing E[X | x_t] = den(x_t / alpha_t, sigma_t / alpha_t)."""

        def __init__(self, den: Den, schedule: Schedule) -> None:
            super().__init__()
            self.den = den
            self.schedule = schedule

        def forward(self, x_t: Tensor, t: Tensor, **kwargs: Any) -> DiracPosterior:
            alpha, sigma = self.schedule(torch.as_tensor(t, dtype=F64))
            alpha_b = alpha.reshape(-1, *([1] * (x_t.ndim - 1)))
            return DiracPosterior(mean=self.den(x_t.to(F64) / alpha_b, sigma / alpha))

    return VPLinearSchedule, ExactDenoiser


def azula_anchor(name: str, sampler: str, *, evals_per_step: int = 1, **sampler_kwargs: Any) -> AnchorFn:
    """Anchor for ``azula.sample.<sampler>`` from t=1 to AZULA_T_MIN, then one azula DDIM step to t=0."""

    def run(den: Den, eps: Tensor, nfe: int) -> AnchorResult:
        from azula import sample

        schedule_cls, denoiser_cls = _azula_types()
        counted = _CountedDenoiser(den)
        denoiser = denoiser_cls(counted, schedule_cls())
        steps = _num_steps(name, nfe, evals_per_step, 1)  # +1: the final DDIM step to t = 0
        common = {"silent": True, "dtype": F64}
        main = getattr(sample, sampler)(denoiser, start=1.0, stop=AZULA_T_MIN, steps=steps, **common, **sampler_kwargs)
        final = sample.DDIMSampler(denoiser, start=AZULA_T_MIN, stop=0.0, steps=1, eta=0.0, **common)
        x_T = eps.to(F64)  # VP: alpha_1^2 + sigma_1^2 = 1, i.e. azula's Sampler.init with mean 0, var 1
        return counted.result(name, final(main(x_T)))

    return run


AZULA_ANCHORS: dict[str, AnchorFn] = {
    name: azula_anchor(name, sampler, **kw)
    for name, sampler, kw in [
        ("azula DDIM", "DDIMSampler", {"eta": 0.0}),
        ("azula Euler", "EulerSampler", {}),
        ("azula Heun", "HeunSampler", {"evals_per_step": 2}),
        ("azula zAB3", "zABSampler", {"order": 3}),
        ("azula zEAB2", "zEABSampler", {"order": 2}),
        ("azula zEAB3", "zEABSampler", {"order": 3}),
        ("azula xEAB2", "xEABSampler", {"order": 2}),
        ("azula xEAB3", "xEABSampler", {"order": 3}),
        # azula 0.11.1 REABSampler uses sqrt(alpha_s^2 + sigma_t^2) where sigma_s is meant, which
        # makes it converge at first order only; kept as shipped.
        ("azula REAB2", "REABSampler", {"order": 2}),
    ]
}


# ------------------------------------------------------------------------------------------- k-diffusion


def _append_dims(x: Tensor, target_dims: int) -> Tensor:
    """Stand-in for ``k_diffusion.utils.append_dims``: append trailing singleton dims."""
    if x.ndim > target_dims:
        raise ValueError(f"input has {x.ndim} dims, more than target_dims={target_dims}")
    return x.reshape(*x.shape, *([1] * (target_dims - x.ndim)))


def _unavailable(module: str) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise ImportError(f"{module} is not installed (stubbed while loading k_diffusion.sampling)")

    return fail


_ABSENT = object()


@functools.cache
def _k_diffusion_sampling() -> types.ModuleType:
    """Import ``k_diffusion.sampling`` without executing ``k_diffusion/__init__.py`` if needed.

    The package ``__init__`` imports every submodule, including ``augmentation`` (needs
    scikit-image) and ``utils`` (needs torchvision, PIL, safetensors), which may be missing.
    ``sampling.py`` only needs ``utils.append_dims`` from the package. Stubs:

    * ``k_diffusion``: an empty package module with the installed ``__path__`` (no ``__init__``).
    * ``k_diffusion.utils``: a module holding only :func:`_append_dims`.
    * ``torchdiffeq`` / ``torchsde``: only if not importable, and only while ``sampling.py``
      executes; they are used by ``log_likelihood`` and the Brownian-tree noise samplers, which
      the deterministic anchors never call (SDE samplers get a zero ``noise_sampler``).
    """
    try:
        return importlib.import_module("k_diffusion.sampling")
    except ImportError:
        for key in [k for k in sys.modules if k == "k_diffusion" or k.startswith("k_diffusion.")]:
            del sys.modules[key]

    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("k-diffusion is not installed")
    pkg_dir = Path(next(iter(spec.submodule_search_locations)))

    package = types.ModuleType("k_diffusion")
    package.__path__ = [str(pkg_dir)]
    utils = types.ModuleType("k_diffusion.utils")
    utils.append_dims = _append_dims  # type: ignore[attr-defined]
    package.utils = utils  # type: ignore[attr-defined]
    sys.modules["k_diffusion"] = package
    sys.modules["k_diffusion.utils"] = utils

    temporary: dict[str, Any] = {}
    for module_name, attr in (("torchdiffeq", "odeint"), ("torchsde", "BrownianTree")):
        try:
            importlib.import_module(module_name)
        except ImportError:
            temporary[module_name] = sys.modules.get(module_name, _ABSENT)
            stub = types.ModuleType(module_name)
            setattr(stub, attr, _unavailable(module_name))
            sys.modules[module_name] = stub

    try:
        sampling_spec = importlib.util.spec_from_file_location("k_diffusion.sampling", pkg_dir / "sampling.py")
        assert sampling_spec is not None and sampling_spec.loader is not None
        sampling = importlib.util.module_from_spec(sampling_spec)
        sys.modules["k_diffusion.sampling"] = sampling
        sampling_spec.loader.exec_module(sampling)
        package.sampling = sampling  # type: ignore[attr-defined]
    except BaseException:
        for key in ("k_diffusion", "k_diffusion.utils", "k_diffusion.sampling"):
            sys.modules.pop(key, None)
        raise
    finally:
        for module_name, previous in temporary.items():
            if previous is _ABSENT:
                sys.modules.pop(module_name, None)
            else:
                sys.modules[module_name] = previous
    return sampling


def k_diffusion_anchor(name: str, fn_name: str, *, heun: bool = False, min_steps: int = 1, **kwargs: Any) -> AnchorFn:
    """Anchor for ``k_diffusion.sampling.<fn_name>`` on Karras sigmas over the diffusers VP range."""

    def run(den: Den, eps: Tensor, nfe: int) -> AnchorResult:
        sampling = _k_diffusion_sampling()
        n = _num_steps(name, nfe, 2, -1, min_steps) if heun else _num_steps(name, nfe, 1, 0, min_steps)
        sigmas = sampling.get_sigmas_karras(n, SIGMA_MIN, SIGMA_MAX).to(F64)
        counted = _CountedDenoiser(den)
        x = eps.to(F64) * sigmas[0]
        extra = dict(kwargs)
        if "eta" in extra:  # SDE samplers: never build a Brownian tree, eta = 0 makes them deterministic
            extra["noise_sampler"] = lambda sigma, sigma_next: torch.zeros_like(x)
        out = getattr(sampling, fn_name)(counted, x, sigmas, disable=True, **extra)
        return counted.result(name, out)

    return run


K_DIFFUSION_ANCHORS: dict[str, AnchorFn] = {
    name: k_diffusion_anchor(name, fn_name, **kw)
    for name, fn_name, kw in [
        ("k-diffusion Euler (karras)", "sample_euler", {}),
        ("k-diffusion Heun (karras)", "sample_heun", {"heun": True}),
        ("k-diffusion DPM2 (karras)", "sample_dpm_2", {"heun": True}),
        ("k-diffusion LMS (karras)", "sample_lms", {}),
        ("k-diffusion DPM++2M (karras)", "sample_dpmpp_2m", {}),
        (
            "k-diffusion DPM++2M-SDE eta=0 heun (karras)",
            "sample_dpmpp_2m_sde",
            {"eta": 0.0, "solver_type": "heun", "min_steps": 2},
        ),
        # The SDE samplers read an unset step size when the only step is the one to sigma = 0.
        ("k-diffusion DPM++3M-SDE eta=0 (karras)", "sample_dpmpp_3m_sde", {"eta": 0.0, "min_steps": 2}),
    ]
}


# ---------------------------------------------------------------------------------------------- registry

ANCHORS: dict[str, AnchorFn] = {**DIFFUSERS_ANCHORS, **AZULA_ANCHORS, **K_DIFFUSION_ANCHORS}

_LIBRARY_OF: dict[str, tuple[str, Callable[[], Any]]] = {
    **{n: ("diffusers", lambda: importlib.import_module("diffusers")) for n in DIFFUSERS_ANCHORS},
    **{n: ("azula", _azula_types) for n in AZULA_ANCHORS},
    **{n: ("k-diffusion", _k_diffusion_sampling) for n in K_DIFFUSION_ANCHORS},
}


def available_anchors() -> dict[str, AnchorFn]:
    """Anchors whose library imports; prints one line per library that does not."""
    status: dict[str, bool] = {}
    for library, loader in dict(_LIBRARY_OF.values()).items():
        try:
            loader()
            status[library] = True
        except Exception as exc:
            print(f"[anchors] skipping {library} anchors: {type(exc).__name__}: {exc}")
            status[library] = False
    return {name: fn for name, fn in ANCHORS.items() if status[_LIBRARY_OF[name][0]]}


# ----------------------------------------------------------------------------------------------- timing


def time_step_overhead(
    shapes: tuple[tuple[int, int], ...] = ((1, 16), (64, 1024)),
    num_steps: int = 25,
    repeats: int = 7,
    dtype: torch.dtype = torch.float32,
) -> dict[str, float]:
    """Median wall time of one diffusers ``scheduler.step`` call, in microseconds.

    The "network" returns zeros (an epsilon prediction), so only the scheduler is timed;
    ``scale_model_input`` is called but not timed. One warm-up run precedes the ``repeats``.
    """
    import diffusers

    schedulers = {
        "DPM++2M (karras)": (
            "DPMSolverMultistepScheduler",
            {**_DPMPP, "solver_order": 2, "use_karras_sigmas": True, "final_sigmas_type": "zero"},
        ),
        "Euler (karras)": (
            "EulerDiscreteScheduler",
            {"use_karras_sigmas": True, "final_sigmas_type": "zero"},
        ),
        "UniPC-2 (karras)": ("UniPCMultistepScheduler", {**_KARRAS_ZERO, "solver_order": 2}),
    }
    timings: dict[str, float] = {}
    for label, (cls_name, config) in schedulers.items():
        for batch, dim in shapes:
            per_step: list[float] = []
            for _ in range(repeats + 1):
                sched = getattr(diffusers, cls_name)(**DIFFUSERS_VP, **config)
                sched.set_timesteps(num_steps)
                x = torch.randn(batch, dim, dtype=dtype) * float(sched.init_noise_sigma)
                elapsed = 0
                for t in sched.timesteps:
                    output = torch.zeros_like(sched.scale_model_input(x, t))
                    start = time.perf_counter_ns()
                    x = sched.step(output, t, x).prev_sample
                    elapsed += time.perf_counter_ns() - start
                per_step.append(elapsed / num_steps / 1e3)
            timings[f"diffusers {label} B={batch} d={dim}"] = statistics.median(per_step[1:])
    return timings
