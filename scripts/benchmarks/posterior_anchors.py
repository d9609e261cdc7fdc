"""Third-party posterior samplers ("posterior anchors") on linear-Gaussian inverse problems.

Every anchor is ``run(den, A, y_obs, sigma_y, n_samples, steps, seed) -> PosteriorAnchorResult`` for
``y_obs = A x + n``, ``n ~ N(0, sigma_y^2 I)``, where the prior is given by its exact denoiser
``den(y, s) = E[x0 | y = x0 + s * eps]`` (VE form, float64, differentiable). The adapters feed ``den`` to
the libraries' own posterior samplers with each library's default guidance settings (stated below).

Conventions:

* Schedule: the continuous VP schedule, beta 0.1 -> 20 on ``t in [0, 1]`` (azula: the custom
  ``VPLinearSchedule`` of :mod:`scripts.benchmarks.anchors`; deepinv: ``VariancePreservingDiffusion``, its
  default, and for DiffPIR the equivalent discrete 1000-step DDPM schedule that DiffPIR hard-codes).
  ``steps`` is the number of sampling steps (one ``den`` call each) wherever the library lets us choose.
* azula works on the raw data (``x_t = alpha_t x + sigma_t eps``), from ``t = 1`` (``x_1 ~ N(0, I)``) to
  ``t = 0``; the last step is a (guided) denoise.
* deepinv assumes images in ``[0, 1]``: its denoisers take ``D(z, sigma)`` with ``sigma`` the noise std on
  that scale, its VP diffusion runs on ``2 z - 1 in [-1, 1]``, and DiffPIR clamps denoised estimates to
  ``[-1, 1]`` (DPS clips them to ``[-1, 1]`` on the ``[0, 1]`` scale, which never binds). A d-vector is an image of shape ``(B, 1, 1, d)`` and the data are mapped
  affinely into it, ``x = c + R (2 z - 1)``, with ``c`` the prior mean and ``R`` = :data:`BOX_STDS` prior
  standard deviations of the widest coordinate (both read off ``den`` at a huge noise level: 1 call and
  1 VJP, counted), so the clamps practically never bind and the prior is the one ``den`` defines. The
  problem maps to ``y_z = (y - A c) / (2 R) + A 1 / 2 = A z + n / (2 R)``: same matrix, noise std
  ``sigma_y / (2 R)``. A single scalar ``R`` keeps the noise isotropic, as ``den`` requires. The operator is a
  ``DecomposablePhysics`` built from the exact SVD of ``A``. The scale is a real choice, not a formality: at
  a fixed step count a narrower data range puts fewer of the VP steps where the posterior is resolved (for
  deepinv MMPS on a d = 4 Gaussian, 200 steps, the covariance error is 0.10 / 0.13 / 0.18 for 2 / 3 / 5 std).
* ``nfe`` counts batched calls of ``den``, ``vjps`` counts backward passes through it (a tap on its output).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from scripts.benchmarks.anchors import BETA_MAX, BETA_MIN, _azula_types

Den = Callable[[Tensor, Tensor], Tensor]
F64 = torch.float64

BOX_STDS = 4.0  # deepinv: [0, 1] is the prior mean +- 4 std of the widest coordinate (~ min-max of a big data set)
S_PRIOR = 1e4  # noise level at which den gives the prior mean and (through its Jacobian) covariance


@dataclass
class PosteriorAnchorResult:
    """Output of one posterior-anchor run."""

    name: str  # e.g. "azula MMPS"
    samples: Tensor  # [n_samples, d] float64 posterior samples
    nfe: int  # batched calls of den
    vjps: int  # backward passes through den
    seconds: float


PosteriorAnchorFn = Callable[[Den, Tensor, Tensor, float, int, int, int], PosteriorAnchorResult]


class _Tap(torch.autograd.Function):
    """Identity on ``den``'s output whose backward counts the VJPs through ``den``."""

    @staticmethod
    def forward(x: Tensor, counter: _CountedDenoiser) -> Tensor:
        return x.clone()

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, _CountedDenoiser], output: Tensor) -> None:
        ctx.counter = inputs[1]

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        ctx.counter.vjps += 1
        return grad, None


class _CountedDenoiser:
    """Wraps ``den``: float64 input, ``s`` broadcast to [B], counts calls and VJPs."""

    def __init__(self, den: Den) -> None:
        self.den = den
        self.calls = 0
        self.vjps = 0

    def __call__(self, y: Tensor, s: Tensor | float) -> Tensor:
        y = y.to(F64)
        s = torch.as_tensor(s, dtype=F64, device=y.device).reshape(-1).expand(y.shape[0]).contiguous()
        self.calls += 1
        return _Tap.apply(self.den(y, s), self)


class _PerSampleNorm(torch.autograd.Function):
    """Identity on ``A x_hat`` whose backward normalizes each row of the incoming gradient.

    azula's DPS differentiates ``||y - A x_hat||`` over the whole batch, so each sample's guidance is divided
    by the residual norm of all samples together (~ sqrt(B) times too weak for B samples). The gradient of
    that norm w.r.t. row i of ``A x_hat`` is ``-e_i / ||E||``; normalizing rows turns it into
    ``-e_i / ||e_i||``, the per-sample DPS of the paper (a batch of one), without touching the sampler.
    """

    @staticmethod
    def forward(x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor], output: Tensor) -> None:
        pass

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad / torch.linalg.vector_norm(grad, dim=-1, keepdim=True).clamp_min(1e-300)


def _timed(
    name: str, n_samples: int, seed: int, den: Den, body: Callable[[_CountedDenoiser], Tensor]
) -> PosteriorAnchorResult:
    """Run ``body`` under a forked, seeded global RNG and wrap its samples into a result."""
    counted = _CountedDenoiser(den)
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        samples = body(counted).detach().to(F64).reshape(n_samples, -1)
    return PosteriorAnchorResult(name, samples, counted.calls, counted.vjps, time.perf_counter() - start)


def _vp_sigma(t: Tensor) -> Tensor:
    """VE noise level ``sigma / alpha = sqrt(1 / alpha^2 - 1)`` of the VP schedule (beta 0.1 -> 20)."""
    return torch.sqrt(torch.expm1(BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t**2))


# ------------------------------------------------------------------------------------------------- azula


def azula_anchor(name: str, method: str, **options: Any) -> PosteriorAnchorFn:
    """Posterior anchor for an azula guidance method, sampled from ``t = 1`` to ``t = 0`` in ``steps`` steps.

    Methods and settings (azula 0.11.1 defaults unless stated):

    * ``"dps"``: ``DPSSampler`` (DDPM steps), ``zeta = 1`` (default; the paper's step size ``zeta'`` on the
      residual norm). ``per_sample_norm`` (default True) makes the norm per sample, see :class:`_PerSampleNorm`.
      The step has a fixed size per sample, so in low dimension it overshoots (d = 4: residual ~2 against
      ~0.4 under the posterior); azula's batch-wide norm shrinks it by ~sqrt(B) instead.
    * ``"pgdm"``: ``PGDMSampler`` with ``A_inv = pinv(A)``; noiseless PiGDM (azula ignores ``sigma_y``);
      ``eta = 1`` as in the azula guidance tutorials (the sampler's default is DDIM, ``eta = 0``).
    * ``"mmps"``: ``MMPSDenoiser`` (GMRES, ``iterations`` = 1 by default, ``iterations="m"`` solves the
      d_y x d_y system exactly) inside ``DDIMSampler(eta=1)`` as in azula's tutorials.
    * ``"tds"``: ``TDSSampler`` with the twist of azula's GMM tutorial,
      ``log N(y; A x_hat, sigma_y^2 + s_t^2 diag(A A^T))``, ``s_t = sigma_t / alpha_t``; the ``n_samples``
      samples are the particles of one SMC run (multinomial resampling at every step, as shipped). The
      weights of the last step are not applied by azula, so the particles are returned unweighted.
    """

    def run(
        den: Den, A: Tensor, y_obs: Tensor, sigma_y: float, n_samples: int, steps: int, seed: int
    ) -> PosteriorAnchorResult:
        from azula import guidance, sample
        from azula.denoise import GaussianPosterior
        from azula.linalg.covariance import IsotropicCovariance

        schedule_cls, denoiser_cls = _azula_types()
        A = A.to(F64)
        y = y_obs.to(F64)

        def forward(x: Tensor) -> Tensor:
            return x @ A.T

        def body(counted: _CountedDenoiser) -> Tensor:
            denoiser = denoiser_cls(counted, schedule_cls())
            common: dict[str, Any] = {"start": 1.0, "stop": 0.0, "steps": steps, "silent": True, "dtype": F64}
            if method == "dps":
                op = (lambda x: _PerSampleNorm.apply(forward(x))) if options.get("per_sample_norm", True) else forward
                sampler = guidance.DPSSampler(denoiser, y=y, A=op, **common)
            elif method == "pgdm":
                pinv = torch.linalg.pinv(A)
                sampler = guidance.PGDMSampler(denoiser, y=y, A=forward, A_inv=lambda v: v @ pinv.T, eta=1.0, **common)
            elif method == "mmps":
                iterations = A.shape[0] if options.get("iterations") == "m" else options.get("iterations", 1)
                cond = guidance.MMPSDenoiser(
                    denoiser, y=y, A=forward, cov_y=IsotropicCovariance(sigma_y**2), iterations=iterations
                )
                sampler = sample.DDIMSampler(cond, eta=1.0, **common)
            elif method == "tds":
                row_norms = (A**2).sum(dim=1)

                def twist(x_hat: Tensor, s: Tensor) -> Tensor:
                    return GaussianPosterior(forward(x_hat), sigma_y**2 + s**2 * row_norms).log_prob(y)

                sampler = guidance.TDSSampler(denoiser, twist=twist, **common)
            else:
                raise ValueError(f"unknown azula method {method!r}")
            return sampler(sampler.init((n_samples, A.shape[1]), mean=0.0, var=1.0))

        return _timed(name, n_samples, seed, den, body)

    return run


AZULA_POSTERIOR_ANCHORS: dict[str, PosteriorAnchorFn] = {
    "azula DPS": azula_anchor("azula DPS", "dps"),
    "azula PiGDM": azula_anchor("azula PiGDM", "pgdm"),
    "azula MMPS": azula_anchor("azula MMPS", "mmps"),
    "azula MMPS (exact solve)": azula_anchor("azula MMPS (exact solve)", "mmps", iterations="m"),
    "azula TDS": azula_anchor("azula TDS", "tds"),
}


# ----------------------------------------------------------------------------------------------- deepinv

# deepinv 0.5 imports torchvision and h5py (datasets, plotting, training) at import time; neither is used by
# its samplers. If they are missing, they are stubbed while ``import deepinv`` runs and removed afterwards.
_DEEPINV_STUBBED = (
    "torchvision",
    "torchvision.utils",
    "torchvision.transforms",
    "torchvision.transforms.functional",
    "torchvision.datasets",
    "torchvision.datasets.folder",
    "torchvision.datasets.utils",
    "h5py",
)


class _MissingDependency:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ImportError("stubbed while importing deepinv: not installed")


class _StubModule(types.ModuleType):
    """Module whose every public attribute is a placeholder class that fails when instantiated."""

    def __getattr__(self, name: str) -> type:
        if name.startswith("__"):
            raise AttributeError(name)
        placeholder = type(name, (_MissingDependency,), {})
        setattr(self, name, placeholder)
        return placeholder


@functools.cache
def _deepinv() -> types.ModuleType:
    """``import deepinv``, stubbing the modules of :data:`_DEEPINV_STUBBED` that are not installed."""
    if "deepinv" in sys.modules:
        return sys.modules["deepinv"]
    missing = {name.split(".")[0] for name in _DEEPINV_STUBBED if importlib.util.find_spec(name.split(".")[0]) is None}
    stubbed = [name for name in _DEEPINV_STUBBED if name.split(".")[0] in missing]
    for module_name in stubbed:
        stub = _StubModule(module_name)
        stub.__path__ = []  # type: ignore[attr-defined]
        sys.modules[module_name] = stub
        if "." in module_name:
            parent, child = module_name.rsplit(".", 1)
            setattr(sys.modules[parent], child, stub)
    try:
        return importlib.import_module("deepinv")
    except BaseException:
        for key in [k for k in sys.modules if k == "deepinv" or k.startswith("deepinv.")]:
            del sys.modules[key]
        raise
    finally:
        for module_name in stubbed:
            sys.modules.pop(module_name, None)


def _prior_box(counted: _CountedDenoiser, d: int) -> tuple[Tensor, float]:
    """Prior mean ``c`` and half-width ``R`` of the box mapped to [0, 1] (one batched call and one VJP).

    At ``s = S_PRIOR``, ``den(0, s)`` is the prior mean and its Jacobian the prior covariance over ``s^2``;
    row i of a batch of ``d`` zero inputs gives the i-th diagonal entry.
    """
    y = torch.zeros(d, d, dtype=F64, requires_grad=True)
    with torch.enable_grad():
        out = counted(y, S_PRIOR)
        diag = torch.autograd.grad(out.diagonal().sum(), y)[0].diagonal()
    std = (S_PRIOR**2 * diag).clamp_min(0.0).sqrt()
    return out[0].detach(), BOX_STDS * float(std.max())


def _deepinv_problem(
    dinv: types.ModuleType, counted: _CountedDenoiser, A: Tensor, y_obs: Tensor, sigma_y: float, n: int
) -> tuple[torch.nn.Module, Any, Tensor, Callable[[Tensor], Tensor]]:
    """(denoiser on [0, 1] images, DecomposablePhysics with the exact SVD, batched y_z, map z -> x)."""
    m, d = A.shape
    c, R = _prior_box(counted, d)

    class ExactImageDenoiser(dinv.models.Denoiser):
        """deepinv denoiser ``D(z, sigma)`` on (B, 1, 1, d) images: ``z = (x - c) / (2 R) + 1/2``."""

        def forward(self, z: Tensor, sigma: Any, *args: Any, **kwargs: Any) -> Tensor:
            s = 2.0 * R * torch.as_tensor(sigma, dtype=F64).reshape(-1).expand(z.shape[0])
            if bool((s == 0).all()):  # exact at zero noise, without a call (DDRM's last level)
                return z
            x = c + 2.0 * R * (z.reshape(z.shape[0], d).to(F64) - 0.5)
            return ((counted(x, s) - c) / (2.0 * R) + 0.5).reshape(z.shape)

    U, svals, Vh = torch.linalg.svd(A.to(F64))
    k = svals.shape[0]
    mask = F.pad(svals, (0, d - k)).reshape(1, 1, 1, d)

    physics = dinv.physics.DecomposablePhysics(
        U=lambda v: v[..., :k] @ U[:, :k].T.to(v.dtype),
        U_adjoint=lambda y: F.pad(y @ U[:, :k].to(y.dtype), (0, d - k)),
        V=lambda v: v @ Vh.to(v.dtype),
        V_adjoint=lambda x: x @ Vh.T.to(x.dtype),
        mask=mask,
        noise_model=dinv.physics.GaussianNoise(sigma=sigma_y / (2.0 * R)),
    )
    y_z = (y_obs.to(F64) - A.to(F64) @ c) / (2.0 * R) + 0.5 * A.to(F64).sum(dim=1)
    y_z = y_z.reshape(1, 1, 1, m).expand(n, 1, 1, m).contiguous()

    def to_x(z: Tensor) -> Tensor:
        return c + 2.0 * R * (z.reshape(n, d).to(F64) - 0.5)

    return ExactImageDenoiser(), physics, y_z, to_x


def deepinv_anchor(name: str, method: str) -> PosteriorAnchorFn:
    """Posterior anchor for a deepinv sampler (deepinv 0.5 defaults unless stated).

    * ``"dps"``: ``deepinv.sampling.DPS``: VP SDE, DDPM solver, ``weight = 1``, ``"norm"`` guidance
      (per-sample residual norm), ``num_steps = steps + 1`` time points, i.e. ``steps`` steps ending at t = 0.
      The guidance enters the reverse SDE as a likelihood score (displacement ~ weight * d(sigma_t^2)), far
      weaker than the paper's direct step; deepinv's docs say this form needs weight ~ ||r|| / sigma_y^2.
    * ``"pigdm"`` / ``"mmps"``: ``PosteriorDiffusion`` with ``PiGDMDataFidelity`` / ``MomentMatchingDataFidelity``
      (``weight = 1``, CG with at most 3 iterations, tol 1e-4), set up exactly like the ``DPS`` class.
    * ``"ddrm"``: ``DDRM(eta=0.85, etab=1.0)`` on the VP schedule's noise levels ``sigma(t) / 2`` (VE std on the
      [0, 1] scale) at ``t = 1, 1 - 1/steps, ..., 0``; the call at ``sigma = 0`` is the identity and is not
      made. (deepinv's default is ``sigmas = linspace(1, 0, 100)``.)
    * ``"diffpir"``: ``DiffPIR(zeta=0.1, lambda_=7.0, max_iter=steps)`` with the ``L2`` data fidelity; its
      schedule is the discrete DDPM one (betas 1e-4 -> 0.02), and the returned state is the last noisy
      iterate (noise std ~0.01 on [-1, 1]), as shipped.
    """

    def run(
        den: Den, A: Tensor, y_obs: Tensor, sigma_y: float, n_samples: int, steps: int, seed: int
    ) -> PosteriorAnchorResult:
        dinv = _deepinv()
        sampling = dinv.sampling

        def body(counted: _CountedDenoiser) -> Tensor:
            denoiser, physics, y_z, to_x = _deepinv_problem(dinv, counted, A, y_obs, sigma_y, n_samples)
            shape = (n_samples, 1, 1, A.shape[1])
            timesteps = torch.linspace(1.0, 0.0, steps + 1, dtype=F64)
            if method == "dps":
                model = sampling.DPS(denoiser, num_steps=steps + 1, dtype=F64)
                z = model(y_z, physics, x_init=shape)
            elif method in ("pigdm", "mmps"):
                fidelity = sampling.PiGDMDataFidelity() if method == "pigdm" else sampling.MomentMatchingDataFidelity()
                model = sampling.PosteriorDiffusion(
                    data_fidelity=fidelity,
                    denoiser=denoiser,
                    sde=sampling.VariancePreservingDiffusion(alpha=1.0, dtype=F64),
                    solver=sampling.DDPMSolver(timesteps=timesteps),
                    dtype=F64,
                )
                z = model(y_z, physics, x_init=shape)
            elif method == "ddrm":
                sigmas = (_vp_sigma(timesteps) / 2.0).numpy()
                z = sampling.DDRM(denoiser, sigmas=sigmas)(y_z, physics)
            elif method == "diffpir":
                model = sampling.DiffPIR(denoiser, dinv.optim.data_fidelity.L2(), max_iter=steps)
                z = model(y_z, physics)
            else:
                raise ValueError(f"unknown deepinv method {method!r}")
            return to_x(z)

        return _timed(name, n_samples, seed, den, body)

    return run


DEEPINV_POSTERIOR_ANCHORS: dict[str, PosteriorAnchorFn] = {
    "deepinv DPS": deepinv_anchor("deepinv DPS", "dps"),
    "deepinv PiGDM": deepinv_anchor("deepinv PiGDM", "pigdm"),
    "deepinv MMPS": deepinv_anchor("deepinv MMPS", "mmps"),
    "deepinv DDRM": deepinv_anchor("deepinv DDRM", "ddrm"),
    "deepinv DiffPIR": deepinv_anchor("deepinv DiffPIR", "diffpir"),
}


# ---------------------------------------------------------------------------------------------- registry

POSTERIOR_ANCHORS: dict[str, PosteriorAnchorFn] = {**AZULA_POSTERIOR_ANCHORS, **DEEPINV_POSTERIOR_ANCHORS}

_LIBRARY_OF: dict[str, tuple[str, Callable[[], Any]]] = {
    **{n: ("azula", _azula_types) for n in AZULA_POSTERIOR_ANCHORS},
    **{n: ("deepinv", _deepinv) for n in DEEPINV_POSTERIOR_ANCHORS},
}


def available_posterior_anchors() -> dict[str, PosteriorAnchorFn]:
    """Posterior anchors whose library imports; prints one line per library that does not."""
    status: dict[str, bool] = {}
    for library, loader in dict(_LIBRARY_OF.values()).items():
        try:
            loader()
            status[library] = True
        except Exception as exc:
            print(f"[posterior anchors] skipping {library} anchors: {type(exc).__name__}: {exc}")
            status[library] = False
    return {name: fn for name, fn in POSTERIOR_ANCHORS.items() if status[_LIBRARY_OF[name][0]]}


__all__ = [
    "POSTERIOR_ANCHORS",
    "PosteriorAnchorResult",
    "available_posterior_anchors",
    "azula_anchor",
    "deepinv_anchor",
]
